/* SyncEvent JSON, status, history, and recovery of orphaned events. */
#include "services/sync/sync_event_service.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repositories/base_playlist_repo.h"
#include "repositories/child_playlist_repo.h"
#include "repositories/sync_event_repo.h"
#include "repositories/sync_queue_repo.h"
#include "lib/app_err.h"
#include "lib/json_text.h"
#include "lib/util.h"

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
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
        "{s:s?, s:s?, s:s?, s:o, s:s?, s:s, s:o, s:o, s:o, s:I, s:I, s:I, s:{s:I}, s:I, s:I, s:o, "
        "s:o, s:s?, s:s?}",
        "id", ev->id, "user_id", ev->user_id, "base_playlist_id", ev->base_playlist_id,
        "child_playlist_ids", array_of(ev->child_playlist_ids), "status", ev->status, "trigger",
        ev->trigger ? ev->trigger : SYNC_TRIGGER_MANUAL, "started_at",
        str_or_null(ev->started_at), "completed_at", str_or_null(ev->completed_at), "error_message",
        str_or_null(ev->error_message), "tracks_processed", (json_int_t)ev->tracks_processed,
        "tracks_skipped", (json_int_t)ev->tracks_skipped, "total_api_requests",
        (json_int_t)ev->total_api_requests, "metadata_requests", "musicbrainz",
        (json_int_t)ev->metadata_musicbrainz, "cache_hits", (json_int_t)ev->cache_hits,
        "cache_misses", (json_int_t)ev->cache_misses, "children", array_of(ev->children),
        "progress", progress, "created", ev->created, "updated", ev->updated);
}

/* ---- The SyncEvent as text, without a json_t tree ---------------------------
 * sync_event_service_append_json() prints exactly what json_dumps(JSON_COMPACT) prints
 * for sync_event_service_to_json() (tests/test_sync_event_json.c compares the two on
 * odd inputs). It writes the text itself while every string field is valid UTF-8 (jansson
 * refuses the others) and each stored array is already in the form jansson prints:
 * ours always are (sync_run.c stores json_dumps(JSON_COMPACT) texts), so the array text
 * is copied as it is instead of being parsed and printed again. Any other event is
 * taken back and printed by jansson, whose output (or failure) is the reference. */

#define CANON_MAX_DEPTH 32
#define CANON_MAX_KEYS 32

/* Length of the valid UTF-8 sequence at s (jansson's rules: no overlong forms, no
 * surrogates, at most U+10FFFF), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    size_t n;
    uint32_t v;
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        n = 2;
        v = c & 0x1F;
    } else if (c < 0xF0) {
        n = 3;
        v = c & 0x0F;
    } else if (c < 0xF5) {
        n = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - s) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    return n;
}

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
            size_t n = c < 0x20 ? 0 : utf8_len(s, end);
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

/* The fast writer's steps give 0, FAST_NOMEM, or FAST_JANSSON: this event must be
 * printed by jansson (a string it refuses, an array it would print differently). */
#define FAST_NOMEM (-1)
#define FAST_JANSSON 1

/* Appends key, then s as a JSON string with jansson's escapes (or null). */
static int put_key_str(struct buf *b, const char *key, const char *s)
{
    if (buf_append_str(b, key) != 0)
        return FAST_NOMEM;
    if (!s)
        return buf_append(b, "null", 4) != 0 ? FAST_NOMEM : 0;
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s), *run = p;
    if (buf_append(b, "\"", 1) != 0)
        return FAST_NOMEM;
    while (p < end) {
        unsigned char c = *p;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            p++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8_len(p, end);
            if (n == 0)
                return FAST_JANSSON; /* json_string() refuses invalid UTF-8 */
            p += n;
            continue;
        }
        char esc[8];
        switch (c) {
        case '"':
            memcpy(esc, "\\\"", 3);
            break;
        case '\\':
            memcpy(esc, "\\\\", 3);
            break;
        case '\b':
            memcpy(esc, "\\b", 3);
            break;
        case '\f':
            memcpy(esc, "\\f", 3);
            break;
        case '\n':
            memcpy(esc, "\\n", 3);
            break;
        case '\r':
            memcpy(esc, "\\r", 3);
            break;
        case '\t':
            memcpy(esc, "\\t", 3);
            break;
        default:
            snprintf(esc, sizeof esc, "\\u%04X", (unsigned)c);
            break;
        }
        if ((p > run && buf_append(b, run, (size_t)(p - run)) != 0) || buf_append_str(b, esc) != 0)
            return FAST_NOMEM;
        run = ++p;
    }
    if ((p > run && buf_append(b, run, (size_t)(p - run)) != 0) || buf_append(b, "\"", 1) != 0)
        return FAST_NOMEM;
    return 0;
}

/* key then v in decimal (as "%" PRId64 prints it; snprintf costs more than the rest
 * of the event). */
static int put_key_int(struct buf *b, const char *key, int64_t v)
{
    char digits[24];
    char *p = digits + sizeof digits;
    /* Through uint64_t so that INT64_MIN negates without overflow. */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    if (buf_append_str(b, key) != 0 || buf_append(b, p, (size_t)(digits + sizeof digits - p)) != 0)
        return FAST_NOMEM;
    return 0;
}

/* key then a stored array text: as it is when jansson would print it unchanged. */
static int put_key_array(struct buf *b, const char *key, const char *text)
{
    if (text && !canonical_array(text))
        return FAST_JANSSON;
    if (buf_append_str(b, key) != 0 || buf_append_str(b, text ? text : "[]") != 0)
        return FAST_NOMEM;
    return 0;
}

/* The jansson path: the reference output. */
static int append_via_jansson(const struct sync_event *ev, struct buf *out)
{
    json_t *j = sync_event_service_to_json(ev);
    char *text = j ? json_text_dump(j, JSON_COMPACT) : NULL;
    int rc = text && buf_append_str(out, text) == 0 ? 0 : ERR_NOMEM;
    free(text);
    json_decref(j);
    return rc;
}

int sync_event_service_append_json(const struct sync_event *ev, struct buf *out)
{
    size_t mark = out->len;
    int rc;
    /* Same members, same order as sync_event_service_to_json(). */
    if ((rc = put_key_str(out, "{\"id\":", ev->id)) ||
        (rc = put_key_str(out, ",\"user_id\":", ev->user_id)) ||
        (rc = put_key_str(out, ",\"base_playlist_id\":", ev->base_playlist_id)) ||
        (rc = put_key_array(out, ",\"child_playlist_ids\":", ev->child_playlist_ids)) ||
        (rc = put_key_str(out, ",\"status\":", ev->status)) ||
        (rc = put_key_str(out, ",\"trigger\":",
                          ev->trigger ? ev->trigger : SYNC_TRIGGER_MANUAL)) ||
        (rc = put_key_str(out, ",\"started_at\":", ev->started_at)) ||
        (rc = put_key_str(out, ",\"completed_at\":", ev->completed_at)) ||
        (rc = put_key_str(out, ",\"error_message\":", ev->error_message)) ||
        (rc = put_key_int(out, ",\"tracks_processed\":", ev->tracks_processed)) ||
        (rc = put_key_int(out, ",\"tracks_skipped\":", ev->tracks_skipped)) ||
        (rc = put_key_int(out, ",\"total_api_requests\":", ev->total_api_requests)) ||
        (rc = put_key_int(out, ",\"metadata_requests\":{\"musicbrainz\":",
                          ev->metadata_musicbrainz)) ||
        (rc = put_key_int(out, "},\"cache_hits\":", ev->cache_hits)) ||
        (rc = put_key_int(out, ",\"cache_misses\":", ev->cache_misses)) ||
        (rc = put_key_array(out, ",\"children\":", ev->children)) ||
        (rc = put_key_str(out, ",\"progress\":{\"phase\":", ev->progress_phase)) ||
        (rc = put_key_int(out, ",\"done\":", ev->progress_done)) ||
        (rc = put_key_int(out, ",\"total\":", ev->progress_total)) ||
        (rc = put_key_str(out, "},\"created\":", ev->created)) ||
        (rc = put_key_str(out, ",\"updated\":", ev->updated)) ||
        (rc = buf_append(out, "}", 1) != 0 ? FAST_NOMEM : 0)) {
        /* Take back what was written, then: out of memory, or jansson's way. */
        out->len = mark;
        if (out->data)
            out->data[mark] = '\0';
        return rc == FAST_JANSSON ? append_via_jansson(ev, out) : ERR_NOMEM;
    }
    return 0;
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
