/* MusicBrainz answers -> plain structs (shapes in docs/musicbrainz.md §2-§4). Unknown
 * members are ignored; a member of the wrong type is treated as absent, except the lists
 * a page is made of, whose absence makes the answer unreadable. */
#include <jansson.h>
#include <string.h>

#include "lib/app_err.h"
#include "services/musicbrainz/musicbrainz_client.h"

bool musicbrainz_isrc_valid(const char *s)
{
    if (!s || strlen(s) != 12)
        return false;
    for (int i = 0; i < 12; i++) {
        unsigned char c = (unsigned char)s[i];
        bool upper = c >= 'A' && c <= 'Z', digit = c >= '0' && c <= '9';
        if ((i < 2 && !upper) || (i >= 2 && i < 5 && !upper && !digit) || (i >= 5 && !digit))
            return false;
    }
    return true;
}

bool musicbrainz_mbid_valid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

/* A string member copied into the arena; NULL when absent or not a string. *nomem set
 * when the copy fails. */
static const char *str_member(const json_t *o, const char *key, struct arena *a, bool *nomem)
{
    const json_t *v = json_object_get(o, key);
    const char *s;
    if (!json_is_string(v))
        return NULL;
    if (!(s = arena_strndup(a, json_string_value(v), json_string_length(v))))
        *nomem = true;
    return s;
}

/* An arena array for n elements of `size` (NULL and no error for n == 0). */
static void *alloc_n(struct arena *a, size_t n, size_t size, bool *nomem)
{
    void *p;
    if (n == 0)
        return NULL;
    if (!(p = arena_alloc(a, n * size)))
        *nomem = true;
    return p;
}

/* One object of a page's list into *item; false when it is not one (no id). */
typedef bool (*item_fn)(const json_t *o, struct arena *a, void *item, bool *nomem);

static bool parse_recording(const json_t *r, struct arena *a, void *item, bool *nomem)
{
    struct mb_recording *out = item;
    const json_t *isrcs = json_object_get(r, "isrcs"), *credit = json_object_get(r, "artist-credit");
    size_t i;
    const json_t *v;

    if (!(out->id = str_member(r, "id", a, nomem)))
        return false;
    out->first_release_date = str_member(r, "first-release-date", a, nomem);
    if (out->first_release_date && !*out->first_release_date)
        out->first_release_date = NULL;
    out->has_isrcs = json_is_array(isrcs);
    const char **codes = alloc_n(a, json_array_size(isrcs), sizeof *codes, nomem);
    json_array_foreach(isrcs, i, v)
    {
        if (!codes || !json_is_string(v))
            continue;
        if ((codes[out->n_isrcs] = arena_strdup(a, json_string_value(v))) != NULL)
            out->n_isrcs++;
        else
            *nomem = true;
    }
    out->isrcs = codes;
    const char **ids = alloc_n(a, json_array_size(credit), sizeof *ids, nomem);
    json_array_foreach(credit, i, v)
    {
        const char *id = str_member(json_object_get(v, "artist"), "id", a, nomem);
        if (ids && id)
            ids[out->n_artists++] = id;
    }
    out->artist_ids = ids;
    return true;
}

static bool parse_artist(const json_t *o, struct arena *a, void *item, bool *nomem)
{
    struct mb_artist *m = item;
    const json_t *tags = json_object_get(o, "tags"), *t;
    size_t k;

    if (!(m->id = str_member(o, "id", a, nomem)))
        return false;
    m->tags = alloc_n(a, json_array_size(tags), sizeof *m->tags, nomem);
    json_array_foreach(tags, k, t)
    {
        const char *name = str_member(t, "name", a, nomem);
        const json_t *c = json_object_get(t, "count");
        if (!m->tags || !name || !json_is_integer(c))
            continue;
        m->tags[m->n_tags].name = name;
        m->tags[m->n_tags].count = json_integer_value(c);
        m->n_tags++;
    }
    return true;
}

/* A page {"count", `key`: [...]}: its items (arena array of `size`-byte items, zeroed, kept
 * when fn accepts them), their number and `count` (the items kept when it is absent). */
static int parse_page(const char *text, size_t len, const char *key, struct arena *a,
                      size_t size, item_fn fn, void **items, size_t *n, int64_t *count)
{
    json_t *root = json_loadb(text ? text : "", len, 0, NULL);
    const json_t *list = json_object_get(root, key), *c = json_object_get(root, "count"), *o;
    bool nomem = false;
    char *v = NULL;
    size_t i;
    int rc = ERR_METADATA_UNAVAILABLE;

    *items = NULL;
    *n = 0;
    *count = 0;
    if (!json_is_array(list))
        goto done;
    v = alloc_n(a, json_array_size(list), size, &nomem);
    json_array_foreach(list, i, o)
    {
        if (v && json_is_object(o) && fn(o, a, v + *n * size, &nomem))
            (*n)++;
    }
    *items = v;
    *count = json_is_integer(c) ? json_integer_value(c) : (int64_t)*n;
    rc = nomem ? ERR_NOMEM : 0;
done:
    json_decref(root);
    return rc;
}

int musicbrainz_parse_recordings(const char *text, size_t len, struct arena *a,
                                 struct mb_recording_page *out)
{
    void *items;
    memset(out, 0, sizeof *out);
    int rc = parse_page(text, len, "recordings", a, sizeof *out->items, parse_recording, &items,
                        &out->n, &out->count);
    out->items = items;
    return rc;
}

int musicbrainz_parse_artists(const char *text, size_t len, struct arena *a,
                              struct mb_artist_page *out)
{
    void *items;
    memset(out, 0, sizeof *out);
    int rc = parse_page(text, len, "artists", a, sizeof *out->items, parse_artist, &items,
                        &out->n, &out->count);
    out->items = items;
    return rc;
}

int musicbrainz_parse_genres(const char *text, size_t len, struct arena *a,
                             const char *const **names, size_t *n)
{
    size_t lines = 1, k = 0;
    const char **list;

    *names = NULL;
    *n = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    if (!(list = arena_alloc(a, lines * sizeof *list)))
        return ERR_NOMEM;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        size_t end = j;
        while (end > i && (text[end - 1] == '\r' || text[end - 1] == ' '))
            end--;
        if (end > i && !(list[k++] = arena_strndup(a, text + i, end - i)))
            return ERR_NOMEM;
        i = j + 1;
    }
    *names = list;
    *n = k;
    return 0;
}

const char *musicbrainz_parse_error(const char *text, size_t len, struct arena *a)
{
    json_t *root = text ? json_loadb(text, len, 0, NULL) : NULL;
    bool nomem = false;
    const char *msg = str_member(root, "error", a, &nomem);
    json_decref(root);
    return msg ? msg : "";
}
