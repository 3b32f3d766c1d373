/* The memo of polled answers (contract in memo.h): a hash table by key (lib/hash.h)
 * and a list in insertion order for the bound, under one mutex. */
#include "lib/memo.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/hash.h"

struct memo_entry {
    struct memo_entry *prev, *next; /* insertion order: head = oldest */
    size_t klen, slen, tlen;
    char data[]; /* key, source, text, NUL */
};

struct memo {
    pthread_mutex_t mu;
    struct hash index; /* key -> entry */
    struct memo_entry *head, *tail;
    size_t max_entries, max_bytes, bytes;
};

static size_t entry_bytes(const struct memo_entry *e)
{
    return sizeof *e + e->klen + e->slen + e->tlen + 1;
}

int memo_new(size_t max_entries, size_t max_bytes, struct memo **out)
{
    struct memo *m;
    *out = NULL;
    if (max_entries == 0)
        return ERR_VALIDATION;
    m = calloc(1, sizeof *m);
    if (!m || hash_init(&m->index, max_entries, 0, NULL) != 0) {
        free(m);
        return ERR_NOMEM;
    }
    pthread_mutex_init(&m->mu, NULL);
    m->max_entries = max_entries;
    m->max_bytes = max_bytes;
    *out = m;
    return 0;
}

void memo_free(struct memo *m)
{
    if (!m)
        return;
    for (struct memo_entry *e = m->head, *next; e; e = next) {
        next = e->next;
        free(e);
    }
    hash_release(&m->index);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* Unlinks and frees e. Under the mutex. */
static void drop(struct memo *m, struct memo_entry *e)
{
    hash_remove(&m->index, e->data, e->klen);
    if (e->prev)
        e->prev->next = e->next;
    else
        m->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        m->tail = e->prev;
    m->bytes -= entry_bytes(e);
    free(e);
}

const char *memo_get(struct memo *m, const void *key, size_t klen, const void *src, size_t slen,
                     struct arena *a)
{
    const char *out = NULL;
    if (!m)
        return NULL;
    pthread_mutex_lock(&m->mu);
    const struct memo_entry *e = hash_get(&m->index, key, klen);
    if (e && e->slen == slen && memcmp(e->data + klen, src, slen) == 0)
        out = arena_strndup(a, e->data + klen + slen, e->tlen);
    pthread_mutex_unlock(&m->mu);
    return out;
}

void memo_put(struct memo *m, const void *key, size_t klen, const void *src, size_t slen,
              const char *text)
{
    struct memo_entry *e, *old;
    struct hash_slot *slot;
    size_t tlen = text ? strlen(text) : 0;
    bool created;
    if (!m || !text || klen > m->max_bytes || slen > m->max_bytes - klen ||
        tlen > m->max_bytes - klen - slen || !(e = malloc(sizeof *e + klen + slen + tlen + 1)))
        return;
    e->klen = klen;
    e->slen = slen;
    e->tlen = tlen;
    memcpy(e->data, key, klen);
    memcpy(e->data + klen, src, slen);
    memcpy(e->data + klen + slen, text, tlen + 1);
    if (entry_bytes(e) > m->max_bytes) {
        free(e);
        return;
    }
    pthread_mutex_lock(&m->mu);
    if ((old = hash_get(&m->index, key, klen)))
        drop(m, old);
    while (m->head &&
           (m->index.count >= m->max_entries || m->bytes + entry_bytes(e) > m->max_bytes))
        drop(m, m->head);
    /* Sized for max_entries keys and kept below it: the insert never allocates. */
    slot = hash_insert(&m->index, e->data, klen, &created);
    slot->value = e;
    e->next = NULL;
    e->prev = m->tail;
    if (m->tail)
        m->tail->next = e;
    else
        m->head = e;
    m->tail = e;
    m->bytes += entry_bytes(e);
    pthread_mutex_unlock(&m->mu);
}

size_t memo_count(struct memo *m)
{
    pthread_mutex_lock(&m->mu);
    size_t n = m->index.count;
    pthread_mutex_unlock(&m->mu);
    return n;
}
