/* SyncEvent JSON, status, history, and recovery of orphaned events. */
#include "services/sync/sync_event_service.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repositories/base_playlist_repo.h"
#include "repositories/child_playlist_repo.h"
#include "repositories/sync_event_repo.h"
#include "repositories/sync_queue_repo.h"
#include "lib/app_err.h"
#include "lib/buf.h"
#include "lib/json_text.h"
#include "lib/memo.h"
#include "lib/util.h"

/* A string member: null for NULL. A text jansson refuses (invalid UTF-8: nothing we
 * write makes one, but a row written by hand or by an older version could hold one)
 * comes out with each bad byte replaced by U+FFFD rather than failing the answer. */
static json_t *str_or_null(const char *s)
{
    json_t *j;
    char *fixed;
    if (!s)
        return json_null();
    if ((j = json_string(s)))
        return j;
    fixed = util_utf8_repair(s);
    j = fixed ? json_string(fixed) : NULL;
    free(fixed);
    return j;
}


/* A stored JSON array text as a JSON array (an unreadable one as []); NULL when out of
 * memory, so that the event is never printed with a part silently lost. */
static bool canonical_array(const char *text);

static json_t *array_of(const char *text)
{
    json_t *v = text ? json_text_loads(text, 0, NULL) : NULL;
    bool canon = text && canonical_array(text);
    if (json_is_array(v)) {
        if (!canon)
            return v;
        /* Out of memory, jansson 2.14's reader can drop a byte of a key and still
         * answer; a text in jansson's own form must print back as it was. */
        char *back = json_text_dump(v, JSON_COMPACT);
        bool same = back && strcmp(back, text) == 0;
        free(back);
        if (same)
            return v;
        json_decref(v);
        return NULL;
    }
    json_decref(v);
    /* jansson does not say reliably that it ran out of memory (the error code is then
     * often "invalid syntax"): a text we read without allocating that it could not
     * read means it did. */
    return canon ? NULL : json_array();
}

json_t *sync_event_service_to_json(const struct sync_event *ev)
{
    json_t *progress =
        json_pack("{s:o, s:I, s:I}", "phase", str_or_null(ev->progress_phase), "done",
                  (json_int_t)ev->progress_done, "total", (json_int_t)ev->progress_total);
    if (!progress)
        return NULL;
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:{s:I}, s:I, s:I, s:o, "
        "s:o, s:o, s:o}",
        "id", str_or_null(ev->id), "user_id", str_or_null(ev->user_id), "base_playlist_id",
        str_or_null(ev->base_playlist_id), "child_playlist_ids", array_of(ev->child_playlist_ids),
        "status", str_or_null(ev->status), "trigger",
        str_or_null(ev->trigger ? ev->trigger : SYNC_TRIGGER_MANUAL), "started_at",
        str_or_null(ev->started_at), "completed_at", str_or_null(ev->completed_at), "error_message",
        str_or_null(ev->error_message), "tracks_processed", (json_int_t)ev->tracks_processed,
        "tracks_skipped", (json_int_t)ev->tracks_skipped, "total_api_requests",
        (json_int_t)ev->total_api_requests, "metadata_requests", "musicbrainz",
        (json_int_t)ev->metadata_musicbrainz, "cache_hits", (json_int_t)ev->cache_hits,
        "cache_misses", (json_int_t)ev->cache_misses, "children", array_of(ev->children),
        "progress", progress, "created", str_or_null(ev->created), "updated",
        str_or_null(ev->updated));
}

/* ---- Stored array texts in jansson's own form -----------------------------------
 * array_of() above uses canonical_array() to tell a text jansson failed to read (out
 * of memory) from one that is not JSON: a text in the form json_dumps(JSON_COMPACT)
 * prints (ours always are: sync_run.c stores such texts) must read and print back the
 * same. */

#define CANON_MAX_DEPTH 32
#define CANON_MAX_KEYS 32


/* A string token as jansson prints it: no \u escape, no raw control character, valid
 * UTF-8. *p is at the opening quote; on success it is past the closing one. */
static bool canon_string(const unsigned char **p, const unsigned char *end)
{
    const unsigned char *s = *p + 1;
    while (s < end) {
        unsigned char c = *s;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            s++;
        } else if (c == '"') {
            *p = s + 1;
            return true;
        } else if (c == '\\') {
            if (s + 1 >= end || !memchr("\"\\bfnrt", s[1], 7))
                return false;
            s += 2;
        } else {
            size_t n = c < 0x20 ? 0 : util_utf8_len(s, end);
            if (n == 0)
                return false;
            s += n;
        }
    }
    return false;
}

/* An integer as jansson prints one: no "-0", no leading zero, no fraction or exponent,
 * and short enough to fit a json_int_t without checking. */
static bool canon_integer(const unsigned char **p, const unsigned char *end)
{
    const unsigned char *s = *p;
    if (s < end && *s == '-')
        s++;
    const unsigned char *digits = s;
    while (s < end && *s >= '0' && *s <= '9')
        s++;
    size_t n = (size_t)(s - digits);
    if (n == 0 || n > 18 || (digits[0] == '0' && (n > 1 || digits != *p)))
        return false;
    if (s < end && (*s == '.' || *s == 'e' || *s == 'E'))
        return false;
    *p = s;
    return true;
}

static bool canon_value(const unsigned char **p, const unsigned char *end, int depth);

static bool canon_literal(const unsigned char **p, const unsigned char *end, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(end - *p) < n || memcmp(*p, word, n) != 0)
        return false;
    *p += n;
    return true;
}

static bool canon_array(const unsigned char **p, const unsigned char *end, int depth)
{
    const unsigned char *s = *p + 1;
    if (s < end && *s == ']') {
        *p = s + 1;
        return true;
    }
    for (;;) {
        if (!canon_value(&s, end, depth + 1))
            return false;
        if (s < end && *s == ',') {
            s++;
            continue;
        }
        if (s < end && *s == ']') {
            *p = s + 1;
            return true;
        }
        return false;
    }
}

/* Duplicate keys are refused: jansson would keep one, so the text would change. */
static bool canon_object(const unsigned char **p, const unsigned char *end, int depth)
{
    const unsigned char *keys[CANON_MAX_KEYS];
    size_t lens[CANON_MAX_KEYS];
    size_t nkeys = 0;
    const unsigned char *s = *p + 1;
    if (s < end && *s == '}') {
        *p = s + 1;
        return true;
    }
    for (;;) {
        const unsigned char *k = s;
        if (s >= end || *s != '"' || !canon_string(&s, end) || nkeys == CANON_MAX_KEYS)
            return false;
        for (size_t i = 0; i < nkeys; i++)
            if (lens[i] == (size_t)(s - k) && memcmp(keys[i], k, lens[i]) == 0)
                return false;
        keys[nkeys] = k;
        lens[nkeys++] = (size_t)(s - k);
        if (s >= end || *s != ':')
            return false;
        s++;
        if (!canon_value(&s, end, depth + 1))
            return false;
        if (s < end && *s == ',') {
            s++;
            continue;
        }
        if (s < end && *s == '}') {
            *p = s + 1;
            return true;
        }
        return false;
    }
}

static bool canon_value(const unsigned char **p, const unsigned char *end, int depth)
{
    if (*p >= end || depth > CANON_MAX_DEPTH)
        return false;
    switch (**p) {
    case '[':
        return canon_array(p, end, depth);
    case '{':
        return canon_object(p, end, depth);
    case '"':
        return canon_string(p, end);
    case 't':
        return canon_literal(p, end, "true");
    case 'f':
        return canon_literal(p, end, "false");
    case 'n':
        return canon_literal(p, end, "null");
    default:
        return canon_integer(p, end);
    }
}

/* True when text is a JSON array exactly as json_dumps(JSON_COMPACT) prints it, so
 * parsing and printing it again would give the same bytes. */
static bool canonical_array(const char *text)
{
    const unsigned char *p = (const unsigned char *)text, *end = p + strlen(text);
    return p < end && *p == '[' && canon_array(&p, end, 1) && p == end;
}

const char *sync_event_service_text(struct arena *a, const struct sync_event *ev)
{
    json_t *j = sync_event_service_to_json(ev);
    char *s = j ? json_text_dump(j, JSON_COMPACT) : NULL;
    const char *out = s ? arena_strdup(a, s) : NULL;
    free(s);
    json_decref(j);
    return out;
}

/* Every byte the status answer is made from, in order, a NULL string told apart from
 * an empty one: the memo's source (lib/memo.h), compared whole on every hit. */
static int status_source(const struct sync_event *ev, bool active, struct buf *out)
{
    const char *const strs[] = {ev->id,          ev->user_id,       ev->base_playlist_id,
                                ev->child_playlist_ids, ev->status, ev->started_at,
                                ev->completed_at, ev->error_message, ev->children,
                                ev->progress_phase, ev->created,    ev->updated,
                                ev->trigger};
    const int64_t nums[] = {active,          ev->tracks_processed, ev->tracks_skipped,
                            ev->total_api_requests, ev->cache_hits, ev->cache_misses,
                            ev->progress_done, ev->progress_total};
    int rc = buf_append(out, nums, sizeof nums);
    for (size_t i = 0; rc == 0 && i < sizeof strs / sizeof strs[0]; i++) {
        size_t len = strs[i] ? strlen(strs[i]) : SIZE_MAX;
        rc = buf_append(out, &len, sizeof len);
        if (rc == 0 && strs[i])
            rc = buf_append(out, strs[i], len);
    }
    return rc;
}

const char *sync_event_service_status_text(struct memo *memo, struct arena *a, bool active,
                                           const struct sync_event *ev)
{
    struct buf src = BUF_INIT;
    const char *out = NULL;
    char *text = NULL;
    json_t *body;
    /* Clients poll this answer: an unchanged event is printed once, not once a poll. */
    bool memoize = memo && ev && ev->id && status_source(ev, active, &src) == 0;
    if (memoize && (out = memo_get(memo, ev->id, strlen(ev->id), src.data, src.len, a)))
        goto done;
    body = json_pack("{s:b, s:o}", "active", active, "sync_event",
                     ev ? sync_event_service_to_json(ev) : json_null());
    if (body && (text = json_text_dump(body, JSON_COMPACT)) && (out = arena_strdup(a, text)) &&
        memoize)
        memo_put(memo, ev->id, strlen(ev->id), src.data, src.len, text);
    json_decref(body);
done:
    free(text);
    buf_release(&src);
    return out;
}

int sync_event_service_get(struct db *db, struct arena *a, const char *user_id, const char *id,
                           struct sync_event *out)
{
    return sync_event_repo_find(db, a, user_id, id, out);
}

/* ERR_NOT_FOUND unless base `base_id` is the user's. */
static int check_base(struct db *db, struct arena *a, const char *user_id, const char *base_id)
{
    struct base_playlist bp;
    return base_playlist_repo_find(db, a, user_id, base_id, &bp);
}

int sync_event_service_status(struct db *db, struct arena *a, const char *user_id,
                              const char *base_id, bool *active, bool *has_event,
                              struct sync_event *ev)
{
    int has = 0;
    /* The base check and the latest event in one statement: one read transaction on
     * the hot path of every client's polling. The latest event is the active one when
     * there is one: an event is inserted in_progress, and the lock keeps any newer one
     * from existing meanwhile. */
    int rc = sync_event_repo_find_status(db, a, user_id, base_id, &has, ev);
    *active = false;
    *has_event = false;
    if (rc != 0 || !has)
        return rc;
    *has_event = true;
    *active = ev->status && strcmp(ev->status, "in_progress") == 0;
    return 0;
}

int sync_event_service_list(struct db *db, struct arena *a, const char *user_id,
                            const char *base_id, const char *cursor, int limit,
                            struct sync_event **items, size_t *n, const char **next_cursor)
{
    int64_t before = 0;
    int more = 0;
    int rc = check_base(db, a, user_id, base_id);

    *items = NULL;
    *n = 0;
    *next_cursor = NULL;
    if (rc != 0)
        return rc;
    /* The cursor is the seq of the last event of the previous page. */
    if (cursor && util_parse_int64(cursor, 1, INT64_MAX, &before) != 0)
        return ERR_VALIDATION;
    rc = sync_event_repo_list(db, a, user_id, base_id, before, limit, items, n, &more);
    if (rc == 0 && more && *n > 0 &&
        !(*next_cursor = arena_sprintf(a, "%" PRId64, (*items)[*n - 1].seq)))
        rc = ERR_NOMEM;
    return rc;
}

int sync_event_service_recover(struct db *db, int *n_out, int *n_queued)
{
    char now[21];
    util_time_format(time(NULL), now);
    return sync_queue_repo_recover(db, SYNC_MSG_RESTART, now, n_out, n_queued);
}

void sync_event_service_timeout_message(int timeout_s, char *out, size_t outlen)
{
    if (timeout_s % 60 == 0)
        snprintf(out, outlen, "timed out after %d minute%s", timeout_s / 60,
                 timeout_s == 60 ? "" : "s");
    else
        snprintf(out, outlen, "timed out after %d second%s", timeout_s, timeout_s == 1 ? "" : "s");
}

int sync_event_service_sweep(struct db *db, int timeout_s, int *n_out)
{
    char now[21], before[21], msg[64];
    time_t t = time(NULL);
    util_time_format(t, now);
    util_time_format(t - timeout_s, before);
    sync_event_service_timeout_message(timeout_s, msg, sizeof msg);
    return sync_event_repo_fail_in_progress(db, before, msg, now, n_out);
}

int sync_event_service_active_lock(struct db *db, const char *user_id, const char *id,
                                   int is_child, char out_id[SYNC_EVENT_ID_MAX],
                                   char base_id_out[SYNC_EVENT_ID_MAX])
{
    int rc;

    if (!is_child) {
        if (snprintf(base_id_out, SYNC_EVENT_ID_MAX, "%s", id) >= SYNC_EVENT_ID_MAX)
            return ERR_NOT_FOUND; /* no id of ours is that long */
    } else if ((rc = child_playlist_repo_base_id(db, user_id, id, base_id_out,
                                                 SYNC_EVENT_ID_MAX)) != 0) {
        return rc;
    }
    return sync_event_repo_find_active(db, user_id, base_id_out, out_id);
}
