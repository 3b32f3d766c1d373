/* Reading a fuzzer's bytes as typed values (a small C cousin of LLVM's
 * FuzzedDataProvider): every read is defined on any input, a read past the end yields
 * zeros or empty strings. Header-only, for the targets in tests/fuzz/ (README.md). */
#ifndef PLAYROUTER_FUZZ_INPUT_H
#define PLAYROUTER_FUZZ_INPUT_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_input {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_input *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

static inline uint32_t fuzz_u32(struct fuzz_input *in)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | fuzz_u8(in);
    return v;
}

/* A value in [0, n) (0 when n == 0). */
static inline size_t fuzz_below(struct fuzz_input *in, size_t n)
{
    return n ? (size_t)fuzz_u32(in) % n : 0;
}

/* A NUL-terminated copy of the next len bytes (len read from one byte, at most max),
 * caller frees with free(); NULL only when out of memory. */
static inline char *fuzz_str(struct fuzz_input *in, size_t max)
{
    size_t len = fuzz_u8(in);
    if (len > max)
        len = max;
    if (len > in->n)
        len = in->n;
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    memcpy(s, in->p, len);
    s[len] = '\0';
    in->p += len;
    in->n -= len;
    return s;
}

/* The rest of the input as a NUL-terminated string (caller frees). */
static inline char *fuzz_rest(struct fuzz_input *in)
{
    char *s = malloc(in->n + 1);
    if (!s)
        return NULL;
    memcpy(s, in->p, in->n);
    s[in->n] = '\0';
    in->p += in->n;
    in->n = 0;
    return s;
}

/* Aborts with a message: an oracle saw a wrong answer (libFuzzer records the input). */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
