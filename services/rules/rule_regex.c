/* `matches`: a POSIX ERE pattern translated for RE2, or refused with the reason (see
 * rule_regex.h for what and why), then compiled by the shim in rule_regex_re2.cc. */
#include "services/rules/rule_regex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/buf.h"

struct scan {
    const char *p;
    size_t len;
    size_t i;        /* next byte of p */
    struct buf *out; /* the translated pattern */
    struct report *why; /* the reason of a refusal */
    int rc;          /* 0, ERR_VALIDATION or ERR_NOMEM */
};

static void emit(struct scan *s, const char *bytes, size_t n)
{
    if (s->rc == 0 && buf_append(s->out, bytes, n) != 0)
        s->rc = ERR_NOMEM;
}

static void refuse(struct scan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void refuse(struct scan *s, const char *fmt, ...)
{
    va_list ap;
    if (s->rc != 0)
        return;
    va_start(ap, fmt);
    report_vmessage(s->why, fmt, ap);
    s->rc = s->why->message ? ERR_VALIDATION : ERR_NOMEM; /* no message: out of memory */
    va_end(ap);
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A backslash outside brackets, at s->i. */
static void escape(struct scan *s)
{
    if (s->i + 1 >= s->len) {
        refuse(s, "a trailing backslash escapes nothing");
        return;
    }
    unsigned char e = (unsigned char)s->p[s->i + 1];
    char two[2] = {'\\', (char)e};
    s->i += 2;
    if (e >= '1' && e <= '9')
        refuse(s,
               "back-reference '\\%c' is not supported: matching back-references can take "
               "time exponential in the text",
               e);
    else if (e == '<' || e == '>' || e == '`' || e == '\'')
        refuse(s, "'\\%c' (a GNU anchor) is not supported: use \\b, ^ or $", e);
    else if (strchr("wWsSbB", e))
        emit(s, two, 2); /* the GNU escapes: the same meaning in both engines */
    else if (is_alnum(e))
        refuse(s,
               "unknown escape '\\%c': POSIX ERE has only \\w \\W \\s \\S \\b \\B (write [0-9] "
               "for a digit)",
               e);
    else if (e > 0x20 && e < 0x7f && e != '_')
        emit(s, two, 2); /* escaped punctuation: that character */
    else
        emit(s, (const char *)&e, 1); /* \_ \é ...: POSIX reads the character itself */
}

/* A bracket expression [...] starting at s->i. Inside, POSIX reads a backslash as
 * itself; RE2 reads it as an escape, so it is doubled. */
static void bracket(struct scan *s)
{
    size_t i = s->i + 1;
    emit(s, "[", 1);
    if (i < s->len && s->p[i] == '^')
        emit(s, "^", 1), i++;
    if (i < s->len && s->p[i] == ']') /* first: a literal ] */
        emit(s, "\\]", 2), i++;
    while (s->rc == 0 && i < s->len && s->p[i] != ']') {
        char c = s->p[i];
        char next = i + 1 < s->len ? s->p[i + 1] : '\0';
        if (c == '[' && (next == '=' || next == '.')) {
            refuse(s, "equivalence classes [=x=] and collating symbols [.x.] are not supported");
        } else if (c == '[' && next == ':') {
            const char *end = NULL;
            for (size_t k = i + 2; k + 1 < s->len && !end; k++)
                if (s->p[k] == ':' && s->p[k + 1] == ']')
                    end = s->p + k + 2;
            if (!end) {
                refuse(s, "'[:' starts a character class that is not closed by ':]'");
                break;
            }
            emit(s, s->p + i, (size_t)(end - (s->p + i)));
            i = (size_t)(end - s->p);
        } else if (c == '\\') {
            emit(s, "\\\\", 2), i++;
        } else {
            emit(s, &c, 1), i++;
        }
    }
    if (s->rc == 0 && i >= s->len)
        refuse(s, "'[' starts a bracket expression that is not closed by ']'");
    emit(s, "]", 1);
    s->i = i + 1;
}

/* Reads a repetition count; false when it is not one or exceeds the maximum. */
static bool count(struct scan *s, size_t *i, long *v, bool *present)
{
    *present = false;
    *v = 0;
    while (*i < s->len && is_digit((unsigned char)s->p[*i])) {
        *present = true;
        if (*v <= RULE_REGEX_MAX_REPEAT)
            *v = *v * 10 + (s->p[*i] - '0');
        (*i)++;
    }
    if (*v > RULE_REGEX_MAX_REPEAT) {
        refuse(s, "repetition count above %d", RULE_REGEX_MAX_REPEAT);
        return false;
    }
    return true;
}

/* An interval {m} {m,} {m,n} {,n} at s->i, written out with both counts explicit
 * where POSIX (as glibc reads it) leaves the lower one out. */
static void interval(struct scan *s)
{
    size_t i = s->i + 1;
    long lo, hi;
    bool has_lo, has_hi = false, comma = false;
    if (!count(s, &i, &lo, &has_lo))
        return;
    if (i < s->len && s->p[i] == ',') {
        comma = true;
        i++;
        if (!count(s, &i, &hi, &has_hi))
            return;
    }
    if (i >= s->len || s->p[i] != '}' || (!has_lo && !has_hi)) {
        refuse(s, "'{' must start a repetition {m}, {m,}, {m,n} or {,n}; write \\{ for a brace");
        return;
    }
    char text[32];
    int n = has_hi  ? snprintf(text, sizeof text, "{%ld,%ld}", lo, hi)
            : comma ? snprintf(text, sizeof text, "{%ld,}", lo)
                    : snprintf(text, sizeof text, "{%ld}", lo);
    emit(s, text, (size_t)n);
    s->i = i + 1;
}

/* The RE2 form of a POSIX ERE pattern, or the reason it is refused. */
static int translate(const char *p, size_t len, struct buf *out, struct report *why)
{
    struct scan s = {.p = p, .len = len, .out = out, .why = why};
    emit(&s, "", 0); /* a non-NULL data pointer even for "" */
    while (s.rc == 0 && s.i < len) {
        char c = p[s.i];
        if (c == '\\')
            escape(&s);
        else if (c == '[')
            bracket(&s);
        else if (c == '{')
            interval(&s);
        else
            emit(&s, &c, 1), s.i++;
    }
    return s.rc;
}

int rule_regex_compile(const char *pattern, size_t len, bool icase, struct rule_regex **out,
                       size_t *insts, struct report *why)
{
    struct buf re2 = BUF_INIT;
    char err[160];
    *out = NULL;
    *insts = 0;
    int rc = translate(pattern, len, &re2, why);
    if (rc != 0)
        goto done;
    switch (
        rule_re2_new(re2.data, re2.len, icase, RULE_REGEX_MAX_MEM, out, insts, err, sizeof err)) {
    case RULE_RE2_OK:
        break;
    case RULE_RE2_NOMEM:
        rc = ERR_NOMEM;
        break;
    case RULE_RE2_REPEAT_SIZE:
        report_message(why,
                       "repetition too large (%s): counts, multiplied through nested "
                       "repetitions, may reach at most %d",
                       err, RULE_REGEX_MAX_REPEAT);
        rc = why->message ? ERR_VALIDATION : ERR_NOMEM;
        break;
    case RULE_RE2_TOO_LARGE:
        report_message(why, "the expression does not compile within %d KiB",
                       RULE_REGEX_MAX_MEM / 1024);
        rc = why->message ? ERR_VALIDATION : ERR_NOMEM;
        break;
    default:
        report_message(why, "%s", err);
        rc = why->message ? ERR_VALIDATION : ERR_NOMEM;
        break;
    }
done:
    buf_release(&re2);
    return rc;
}

bool rule_regex_match(const struct rule_regex *re, const char *text, size_t len)
{
    return rule_re2_match(re, text, len) == 1;
}

void rule_regex_free(struct rule_regex *re)
{
    if (re)
        rule_re2_free(re);
}
