/* The user's saved tracks (Liked Songs): GET /me/tracks read whole (first page, then
 * the rest in parallel) or only its first page, with the fingerprint that stands in
 * for the snapshot_id Spotify does not keep for them (docs/sync.md, "Liked Songs"). A
 * first page read alone can start a whole read later, which then asks only the rest. */
#include <assert.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/log.h"
#include "lib/util.h"
#include "services/spotify/spotify_client.h"
#include "services/spotify/spotify_client_internal.h"

#define SAVED_PATH "/me/tracks"
#define SAVED_EP "GET /me/tracks"
/* A bad answer could claim any total: refuse to allocate for more than this. */
#define MAX_SAVED_ENTRIES 1000000

/* "liked:v1:<total>:<SHA-256 hex of the first page's "uri\tadded_at\n" lines>". An entry
 * without uri hashes as "-", one without a readable date as -1. Only what decides a
 * base's contents is hashed (which track, saved when), so a change of track metadata
 * in Spotify's answer does not look like a change of the list. */
static int fingerprint(struct arena *a, const struct spotify_item *items, size_t n, size_t total,
                       const char **out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    char hex[65], line[64];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);

    for (size_t i = 0; ok && i < n; i++) {
        const char *uri = items[i].uri ? items[i].uri : "-";
        long long at = items[i].track.has & TRACK_HAS_ADDED_AT ? (long long)items[i].track.added_at
                                                                : -1;
        int w = snprintf(line, sizeof line, "\t%lld\n", at);
        ok = w > 0 && (size_t)w < sizeof line && EVP_DigestUpdate(ctx, uri, strlen(uri)) &&
             EVP_DigestUpdate(ctx, line, (size_t)w);
    }
    ok = ok && EVP_DigestFinal_ex(ctx, md, &len) && len == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return ERR_NOMEM; /* OpenSSL fails only when it cannot allocate */
    util_hex_encode(md, len, hex);
    *out = arena_sprintf(a, "liked:v1:%zu:%s", total, hex);
    return *out ? 0 : ERR_NOMEM;
}

/* A failed first page: a 403 is a missing scope (the only reason Spotify refuses a
 * user their own library), so the message says what to do. */
static int first_page_failed(struct spotify_client *c, const struct sc_req *r, int rc)
{
    if (r->status != 403)
        return rc;
    /* sc_fail formats before it lets the old message go: it may quote it. */
    return sc_fail(c, ERR_SPOTIFY,
                   "%s: the Spotify sign-in does not allow reading the Liked Songs (scope "
                   "user-library-read); sign in again",
                   report_text(&c->err));
}

/* GET /me/tracks?offset=0&limit=50 into *out: info (name, total, the fingerprint) and
 * the page's entries (items[0..n_items), as many as Spotify gave: 50 unless fewer). */
static int first_page(struct spotify_client *c, struct arena *a, struct spotify_playlist *out)
{
    struct sc_req first;
    json_t *root = NULL;
    size_t k = 0, total = 0, cap;
    char q[48];
    int rc;

    memset(&first, 0, sizeof first);
    memset(out, 0, sizeof *out);
    snprintf(q, sizeof q, "offset=0&limit=%d", SPOTIFY_SAVED_PAGE);
    if (sc_req_init(c, &first, "GET", SAVED_EP, SAVED_PATH, q, NULL, true) != 0) {
        rc = sc_fail(c, ERR_NOMEM, "out of memory reading the saved tracks");
        goto done;
    }
    if ((rc = sc_run(c, &first, 1)) != 0) {
        rc = first_page_failed(c, &first, rc);
        goto done;
    }
    root = first.resp.len ? json_loadb(first.resp.data, first.resp.len, 0, NULL) : NULL;
    if (!root) {
        rc = sc_fail(c, ERR_SPOTIFY, "Spotify answered %s with malformed JSON", SAVED_EP);
        goto done;
    }
    /* The first page says how many there are; its entries are the first ones. */
    const json_t *jt = json_object_get(root, "total"), *ji = json_object_get(root, "items");
    if (!json_is_integer(jt) || json_integer_value(jt) < 0 || !json_is_array(ji) ||
        json_array_size(ji) > (size_t)json_integer_value(jt)) {
        rc = sc_fail(c, ERR_SPOTIFY, "Spotify saved tracks answer is malformed");
        goto done;
    }
    if (json_integer_value(jt) > MAX_SAVED_ENTRIES) {
        rc = sc_fail(c, ERR_SPOTIFY, "too many saved tracks (%lld)",
                     (long long)json_integer_value(jt));
        goto done;
    }
    total = (size_t)json_integer_value(jt);
    cap = json_array_size(ji);
    if (cap && !(out->items = arena_alloc(a, cap * sizeof *out->items))) {
        rc = sc_fail(c, ERR_NOMEM, "out of memory reading the saved tracks");
        goto done;
    }
    rc = spotify_parse_page(root, 0, a, out->items, cap, &k, NULL);
    if (rc == ERR_NOMEM) {
        rc = sc_fail(c, rc, "out of memory reading the saved tracks");
        goto done;
    }
    if (rc != 0) {
        rc = sc_fail(c, ERR_SPOTIFY, "Spotify saved tracks answer is malformed");
        goto done;
    }
    if ((rc = fingerprint(a, out->items, k, total, &out->info.snapshot_id)) != 0) {
        rc = sc_fail(c, rc, "out of memory reading the saved tracks");
        goto done;
    }
    out->info.name = "Liked Songs";
    out->info.total = total;
    out->n_items = k;
    rc = 0;
done:
    json_decref(root);
    sc_req_release(&first);
    return rc;
}

/* The whole list from its first page `p1` (borrowed; its entries are copied, their
 * strings shared): the pages after it, in parallel. *changed: a page said the list
 * moved since p1 was read. */
static int read_rest(struct spotify_client *c, struct arena *a, const struct spotify_playlist *p1,
                     struct spotify_playlist *out, bool *changed)
{
    size_t total = p1->info.total, k = p1->n_items;
    struct sc_pages p = {a, NULL, total, SPOTIFY_SAVED_PAGE, false};
    int rc;

    assert(k <= total && p1->info.snapshot_id); /* first_page() made it */
    memset(out, 0, sizeof *out);
    *changed = false;
    if (total && !(p.items = arena_alloc(a, total * sizeof *p.items)))
        return sc_fail(c, ERR_NOMEM, "out of memory reading the saved tracks");
    if (k)
        memcpy(p.items, p1->items, k * sizeof *p.items);
    if ((rc = sc_read_pages(c, &p, SAVED_PATH, SAVED_EP, NULL, k, false)) != 0)
        return rc;
    if (p.changed) {
        *changed = true;
        return sc_fail(c, ERR_SPOTIFY, "the saved tracks changed while they were being read");
    }
    out->info = p1->info;
    out->items = p.items;
    out->n_items = total;
    return 0;
}

/* One attempt at a whole read: from `given` (a first page read before), else from a
 * first page asked now. */
static int read_once(struct spotify_client *c, struct arena *a,
                     const struct spotify_playlist *given, struct spotify_playlist *out,
                     bool *changed)
{
    struct spotify_playlist p1;
    int rc;
    *changed = false;
    if (!given) {
        if ((rc = first_page(c, a, &p1)) != 0)
            return rc;
        given = &p1;
    }
    return read_rest(c, a, given, out, changed);
}

static int saved_tracks(struct spotify_client *c, struct arena *a,
                        const struct spotify_playlist *given, struct spotify_playlist *out)
{
    bool changed = false;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = sc_begin(c)) != 0)
        return rc;
    rc = read_once(c, a, given, out, &changed);
    if (rc != 0 && changed) {
        /* Again from a first page of now: the one given (or read) is out of date. */
        log_info("spotify saved tracks changed during a read; reading them again");
        rc = read_once(c, a, NULL, out, &changed);
    }
    return rc;
}

static int saved_first_page(struct spotify_client *c, struct arena *a, struct spotify_playlist *out)
{
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = sc_begin(c)) != 0)
        return rc;
    return first_page(c, a, out);
}

int spotify_client_get_saved_tracks(struct spotify_client *c, struct arena *a,
                                    const struct spotify_playlist *first_page,
                                    struct spotify_playlist *out, struct report *rep)
{
    return sc_end(c, saved_tracks(c, a, first_page, out), rep);
}

int spotify_client_get_saved_first_page(struct spotify_client *c, struct arena *a,
                                        struct spotify_playlist *out, struct report *rep)
{
    return sc_end(c, saved_first_page(c, a, out), rep);
}
