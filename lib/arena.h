#ifndef PLAYROUTER_ARENA_H
#define PLAYROUTER_ARENA_H
/* Per-request (or per-sync) region allocator: many small allocations, freed
 * all at once by arena_free(). Not thread-safe: one owner at a time. */
#include <stdarg.h>
#include <stddef.h>

struct arena;

/* Returns NULL only when out of memory. Caller frees with arena_free(). */
struct arena *arena_new(void);
/* Frees every allocation of the arena and the arena itself; NULL is accepted. */
void arena_free(struct arena *a);
/* Zeroed, 16-byte aligned memory living until arena_free(); NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t size);
char *arena_strdup(struct arena *a, const char *s);   /* NULL in -> NULL out */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_sprintf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Bytes handed out so far (for tests and memory accounting). */
size_t arena_used(const struct arena *a);

#endif
