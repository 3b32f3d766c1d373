#ifndef PLAYROUTER_DOMAIN_SYNC_EVENT_H
#define PLAYROUTER_DOMAIN_SYNC_EVENT_H
/* A sync event (API.md "Sync"): one run of a base's sync, its counts and progress.
 * Strings are borrowed (the filler's arena). */
#include <stdint.h>

/* Size of a buffer that holds a sync event id (ids are ID_LEN hex characters; room to
 * spare for ids written by other tools). */
#define SYNC_EVENT_ID_MAX 128

/* What started a sync (SyncEvent.trigger). */
#define SYNC_TRIGGER_MANUAL "manual"
#define SYNC_TRIGGER_AUTO "auto"

/* A sync_events row. Strings live in the arena of the find/list that filled it (or
 * are borrowed from the caller for insert/finish). */
struct sync_event {
    const char *id;
    const char *user_id;
    const char *base_playlist_id;
    const char *child_playlist_ids; /* JSON array text */
    const char *status;             /* "in_progress" | "completed" | "failed" */
    const char *started_at;         /* RFC 3339 */
    const char *completed_at;       /* NULL while in progress */
    const char *error_message;      /* NULL unless failed */
    int64_t tracks_processed, tracks_skipped, total_api_requests, cache_hits, cache_misses;
    int64_t metadata_musicbrainz; /* metadata_requests.musicbrainz */
    const char *children;           /* JSON array text: [{"child_playlist_id", "matched",
                                     * "added", "removed"}] */
    const char *progress_phase;     /* NULL before the first phase */
    int64_t progress_done, progress_total;
    const char *created, *updated;
    int64_t seq;                    /* insertion order within the base (listing, cursor);
                                     * set by insert */
    const char *trigger;            /* SYNC_TRIGGER_MANUAL | SYNC_TRIGGER_AUTO (insert:
                                     * NULL = manual) */
};

#endif
