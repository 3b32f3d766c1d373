#include "lib/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"

static const double bucket_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                       1,     2.5,  5,     10,   30,  60,  300};
#define NBUCKETS (sizeof bucket_bounds / sizeof bucket_bounds[0])

struct series {
    struct series *next;
    char *key;           /* "name\0labels\0": one allocation, the key in the index */
    char *name, *labels; /* into key */
    int histogram;
    double value; /* counter value, or histogram sum */
    unsigned long long count;
    unsigned long long buckets[NBUCKETS];
};

struct family {
    struct family *next;
    char *name, *type, *help;
};

struct metrics {
    pthread_mutex_t mu;
    struct series *series; /* sorted by name then labels, for rendering */
    struct family *families;
    struct hash index; /* key -> series: O(1) lookups on the request path */
};

struct metrics *metrics_new(void)
{
    struct metrics *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->mu, NULL);
    return m;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    for (struct series *s = m->series, *n; s; s = n) {
        n = s->next;
        free(s->key);
        free(s);
    }
    for (struct family *f = m->families, *n; f; f = n) {
        n = f->next;
        free(f->name);
        free(f->type);
        free(f->help);
        free(f);
    }
    hash_release(&m->index);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

void metrics_describe(struct metrics *m, const char *name, const char *type, const char *help)
{
    struct family *f = calloc(1, sizeof *f);
    if (!f)
        return;
    f->name = strdup(name);
    f->type = strdup(type);
    f->help = strdup(help);
    pthread_mutex_lock(&m->mu);
    f->next = m->families;
    m->families = f;
    pthread_mutex_unlock(&m->mu);
}

/* Caller holds the mutex. */
static struct series *find_or_add(struct metrics *m, const char *name, const char *labels,
                                  int histogram)
{
    if (!labels)
        labels = "";
    size_t nlen = strlen(name), llen = strlen(labels), klen = nlen + 1 + llen;
    char small[256], *key = klen < sizeof small ? small : malloc(klen + 1);
    struct series *s = NULL;
    struct hash_slot *slot = NULL;
    bool created;
    if (!key)
        return NULL;
    memcpy(key, name, nlen + 1);
    memcpy(key + nlen + 1, labels, llen + 1);
    if ((s = hash_get(&m->index, key, klen)) || !(s = calloc(1, sizeof *s)))
        goto done;
    if ((s->key = malloc(klen + 1)))
        slot = hash_insert(&m->index, memcpy(s->key, key, klen + 1), klen, &created);
    if (!slot) {
        free(s->key);
        free(s);
        s = NULL;
        goto done;
    }
    slot->value = s;
    s->name = s->key;
    s->labels = s->key + nlen + 1;
    s->histogram = histogram;
    /* Sorted insert keeps the output grouped by name and stable. */
    struct series **pp = &m->series;
    while (*pp && (strcmp((*pp)->name, s->name) < 0 ||
                   (strcmp((*pp)->name, s->name) == 0 && strcmp((*pp)->labels, s->labels) < 0)))
        pp = &(*pp)->next;
    s->next = *pp;
    *pp = s;
done:
    if (key != small)
        free(key);
    return s;
}

void metrics_add(struct metrics *m, const char *name, const char *labels, double v)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    struct series *s = find_or_add(m, name, labels, 0);
    if (s)
        s->value += v;
    pthread_mutex_unlock(&m->mu);
}

void metrics_observe(struct metrics *m, const char *name, const char *labels, double seconds)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    struct series *s = find_or_add(m, name, labels, 1);
    if (s) {
        s->value += seconds;
        s->count++;
        for (size_t i = 0; i < NBUCKETS; i++)
            if (seconds <= bucket_bounds[i])
                s->buckets[i]++;
    }
    pthread_mutex_unlock(&m->mu);
}

double metrics_get(struct metrics *m, const char *name, const char *labels)
{
    double v = 0;
    if (!labels)
        labels = "";
    pthread_mutex_lock(&m->mu);
    for (struct series *s = m->series; s; s = s->next)
        if (strcmp(s->name, name) == 0 && strcmp(s->labels, labels) == 0)
            v = s->histogram ? (double)s->count : s->value;
    pthread_mutex_unlock(&m->mu);
    return v;
}

static void render_family_header(struct metrics *m, const char *name, struct buf *out)
{
    for (struct family *f = m->families; f; f = f->next)
        if (strcmp(f->name, name) == 0) {
            buf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
            return;
        }
}

int metrics_render(struct metrics *m, struct buf *out)
{
    pthread_mutex_lock(&m->mu);
    const char *last = NULL;
    for (struct series *s = m->series; s; s = s->next) {
        if (!last || strcmp(last, s->name) != 0)
            render_family_header(m, s->name, out);
        last = s->name;
        const char *sep = s->labels[0] ? "," : "";
        if (!s->histogram) {
            if (s->labels[0])
                buf_appendf(out, "%s{%s} %.17g\n", s->name, s->labels, s->value);
            else
                buf_appendf(out, "%s %.17g\n", s->name, s->value);
            continue;
        }
        for (size_t i = 0; i < NBUCKETS; i++)
            buf_appendf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", s->name, s->labels, sep,
                        bucket_bounds[i], s->buckets[i]);
        buf_appendf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", s->name, s->labels, sep, s->count);
        const char *open = s->labels[0] ? "{" : "", *close = s->labels[0] ? "}" : "";
        buf_appendf(out, "%s_sum%s%s%s %.17g\n%s_count%s%s%s %llu\n", s->name, open, s->labels,
                    close, s->value, s->name, open, s->labels, close, s->count);
    }
    pthread_mutex_unlock(&m->mu);
    return out->data || out->len == 0 ? 0 : -1;
}
