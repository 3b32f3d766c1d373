#ifndef MB_MB_H
#define MB_MB_H
/* musicbrainz-emulator: the MusicBrainz world derived from the Spotify
 * emulator's catalogue (world.c), the /ws/2 handlers (ws.c, ws_json.c), the
 * Lucene subset (lucene.c), the HTTP layer (server.c) and /__admin (admin.c,
 * truth.c). README.md describes what is served. */
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "util.h"

/* ---- the world (world.c): immutable once built ---- */

struct mb_tag {
    const char *name; /* static, or owned by the Spotify catalogue */
    int count;        /* may be 0 or negative: search answers show those too */
};

struct mb_artist {
    char id[37];      /* MBID */
    int spotify;      /* index of the Spotify artist it stands for */
    const char *name; /* the Spotify artist's name */
    char *sort_name;
    const char *type; /* "Person" or "Group" */
    const char *type_id;
    const char *country; /* NULL = unknown */
    struct mb_tag *tags;
    int ntags;
};

struct mb_credit {
    int artist;             /* index into world.artists */
    const char *name;       /* the credited name: the artist's, or a part of it */
    const char *joinphrase; /* static; "" after the last */
};

struct mb_recording {
    char id[37];
    char ac_id[37]; /* artist-credit MBID (search answers carry it) */
    const char *title;
    const char *disambiguation; /* static; "" = none */
    int length;                 /* ms; -1 = unknown (null) */
    char date[11];              /* first-release-date: YYYY, YYYY-MM, YYYY-MM-DD or "" */
    struct mb_credit *credits;
    int ncredits;
    int isrcs[2]; /* indexes into world.isrcs, sorted by code */
    int nisrcs;
};

struct mb_isrc {
    char code[13];
    int track;   /* Spotify track index, -1 for a code only MusicBrainz has */
    int recs[2]; /* recording indexes; nrecs 0 = MusicBrainz does not know it */
    int nrecs;
};

struct mb_genre {
    const char *name;
    char id[37];
};

struct mb_world {
    struct mb_artist *artists; /* one per Spotify artist, same index */
    size_t nartists;
    struct mb_recording *recs;
    size_t nrecs, caprecs;
    struct mb_isrc *isrcs;
    size_t nisrcs, capisrcs;
    struct mb_genre *genres; /* sorted by name */
    size_t ngenres;
    struct strmap isrc_map, artist_map, rec_map, genre_map, spotify_artist_map;
};

/* Builds the world from a generated or loaded Spotify catalogue (which must
 * outlive it). 0, or -1 when out of memory. */
int world_build(struct mb_world *w, const struct catalog *c);
void world_free(struct mb_world *w);
/* Index of the ISRC (any case), of the artist / recording MBID (lower case), of
 * the artist with that Spotify id, or -1. */
int world_isrc(const struct mb_world *w, const char *code);
int world_artist(const struct mb_world *w, const char *mbid);
int world_recording(const struct mb_world *w, const char *mbid);
int world_spotify_artist(const struct mb_world *w, const char *spotify_id);
/* 1 when name is in the genre list. */
bool world_is_genre(const struct mb_world *w, const char *name);
/* The artist's MusicBrainz genres: tags with a positive count whose name is a
 * genre, sorted by name. Fills up to max names; returns how many. */
int world_artist_genres(const struct mb_world *w, const struct mb_artist *a, const char **out,
                        int max);

/* ---- genres.c: the static word lists ---- */
extern const char *const MB_EXTRA_GENRES[]; /* MusicBrainz genres Spotify's generator lacks */
extern const size_t MB_NEXTRA_GENRES;
extern const char *const MB_NOT_GENRES[]; /* generator genres MusicBrainz does not list */
extern const size_t MB_NNOT_GENRES;
extern const char *const MB_PLAIN_TAGS[]; /* folksonomy tags that are no genre */
extern const size_t MB_NPLAIN_TAGS;

/* ---- lucene.c ---- */
#define LUCENE_MAX_CLAUSES 1024 /* Solr's maxBooleanClauses */
enum lucene_status { LUCENE_OK = 0, LUCENE_UNSUPPORTED, LUCENE_TOO_MANY, LUCENE_OOM };
/* Parses a query made only of field:value terms of one field joined by OR,
 * "||" or white space, with parentheses, field:(a OR b) groups and "quoted"
 * values. *values (malloc'ed array of malloc'ed strings, free with
 * lucene_free) gets every value in order. LUCENE_UNSUPPORTED also covers a
 * blank query (*n 0); err then says what was not understood. */
enum lucene_status lucene_terms(const char *query, const char *field, char ***values, size_t *n,
                                char *err, size_t errsz);
void lucene_free(char **values, size_t n);

/* ---- the process ---- */

enum down_mode { DOWN_NO = 0, DOWN_503 = 1, DOWN_REFUSE = 2 };
enum storm_kind { STORM_RATE = 0, STORM_BUSY = 1 };

struct mb {
    struct mb_world world;
    struct catalog *cat;
    struct knobs *knobs;
    struct delay_queue *delays;
    struct MHD_Daemon *daemon;
    int port;
    int start_rate, start_window_ms; /* --rate: what /__admin/reset restores */
    int max_uri;                     /* longer request targets answer 414 */
    atomic_int rate, window_ms;      /* as configured (0 = off), for /__admin/config */
    atomic_int search_isrcs;         /* search answers carry "isrcs" */
    atomic_int require_ua;           /* no User-Agent: 403 */
    atomic_int down;                 /* enum down_mode */
    pthread_mutex_t storm_mu;
    int storm_left, storm_kind, storm_retry_after;
    struct acceptor *acceptor;
};

/* One request, valid during the handler call. */
struct mb_req {
    struct mb *mb;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;  /* without the query string */
    const char *query; /* raw query string ("" when none) */
    const char *param; /* the {id} of the route, or NULL */
    bool json;         /* fmt=json or Accept: application/json */
    const char *body;  /* admin requests: the body (NUL-terminated), or NULL */
    size_t body_len;
};

struct mb_resp {
    int status;
    struct buf body;
    const char *ctype; /* NULL = application/json; charset=utf-8 */
    bool edge;         /* answered by the gateway: Server: openresty */
    const char *zone;  /* set: Retry-After and the X-RateLimit-* headers */
    int retry_after, rate_limit, rate_remaining;
    bool drop; /* close the connection without an answer */
};

typedef void (*mb_handler_fn)(struct mb_req *req, struct mb_resp *res);

/* ---- server.c ---- */
/* Listens on 127.0.0.1:port (0 = free; the port in mb->port) and starts the
 * daemon and the accept thread. 0 or -1 with a message on stderr. */
int server_start(struct mb *mb, int port);
void server_stop(struct mb *mb);
/* Closes the listening socket for ms, then listens again on the same port;
 * returns once it is closed. 0, or -1 when the accept thread did not react. */
int server_refuse_for(struct mb *mb, int ms);
/* Takes one request of a 503 storm: 1 (and its kind and Retry-After) or 0. */
bool storm_take(struct mb *mb, int *kind, int *retry_after);
/* A query parameter, percent- and '+'-decoded (malloc'ed; NULL when absent). */
char *req_arg(const struct mb_req *req, const char *key);
const char *req_header(const struct mb_req *req, const char *name);
/* MusicBrainz's error JSON {"error": M, "help": …} with status (replaces the body). */
void resp_error(struct mb_resp *res, int status, const char *message);
/* The body is written: status, or a 500 when rc != 0 (out of memory). */
void resp_json(struct mb_resp *res, int status, int rc);

/* ---- ws.c: /ws/2 handlers ---- */
void ws_recording_search(struct mb_req *req, struct mb_resp *res);
void ws_artist_search(struct mb_req *req, struct mb_resp *res);
void ws_recording_lookup(struct mb_req *req, struct mb_resp *res);
void ws_artist_lookup(struct mb_req *req, struct mb_resp *res);
void ws_isrc_lookup(struct mb_req *req, struct mb_resp *res);
void ws_genre_all(struct mb_req *req, struct mb_resp *res);

/* ---- ws_json.c: answer objects ---- */
enum mb_incs {
    INC_ARTIST_CREDITS = 1,
    INC_ISRCS = 2,
    INC_TAGS = 4,
    INC_GENRES = 8,
};
/* A recording as a search answer shows it (score 100). */
int json_recording_search(const struct mb *mb, const struct mb_recording *r, struct buf *b);
/* A recording as lookups show it, with what incs asks for. */
int json_recording_lookup(const struct mb_world *w, const struct mb_recording *r, unsigned incs,
                          struct buf *b);
/* An artist as a search answer shows it: every tag, no genres. */
int json_artist_search(const struct mb_artist *a, struct buf *b);
/* An artist lookup (top level) with tags and/or genres (count > 0, by name). */
int json_artist_lookup(const struct mb_world *w, const struct mb_artist *a, unsigned incs,
                       struct buf *b);
/* "2026-09-06T10:57:34.794Z" now. */
void json_created(char out[32]);

/* ---- admin.c / truth.c ---- */
void admin_handle(struct mb_req *req, struct mb_resp *res);
/* /__admin/truth/...: seg are the path segments after "truth". */
void truth_handle(struct mb_req *req, struct mb_resp *res, char **seg, int nseg);

#endif
