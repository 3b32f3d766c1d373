// The C binding of RE2 that Debian does not ship (see rule_regex.h for why RE2):
// four extern "C" functions over one re2::RE2. No exception crosses into C: a failed
// allocation becomes RULE_RE2_NOMEM (compile) or -1 (match).
#include <new>
#include <string>

#include <re2/re2.h>

#include "services/rules/rule_regex.h"

struct rule_regex {
    re2::RE2 re;
    rule_regex(const re2::StringPiece &p, const re2::RE2::Options &o) : re(p, o) {}
};

static void copy_err(const std::string &msg, char *err, size_t errlen)
{
    if (!err || errlen == 0)
        return;
    size_t n = msg.size() < errlen - 1 ? msg.size() : errlen - 1;
    msg.copy(err, n);
    err[n] = '\0';
}

extern "C" int rule_re2_new(const char *pattern, size_t len, bool icase, long max_mem,
                            struct rule_regex **out, size_t *insts, char *err, size_t errlen)
{
    *out = nullptr;
    copy_err("", err, errlen);
    try {
        re2::RE2::Options o;
        o.set_posix_syntax(true);
        o.set_perl_classes(true);  // \d is refused before us; \w \W \s \S stay GNU's
        o.set_word_boundary(true); // \b \B
        o.set_one_line(true);      // ^ $ anchor the text, as regcomp() without REG_NEWLINE
        o.set_dot_nl(true);        // `.` matches a newline, as there
        o.set_never_capture(true); // a yes/no answer needs no groups: a smaller program
        o.set_longest_match(false);
        o.set_case_sensitive(!icase);
        o.set_log_errors(false);
        o.set_max_mem(max_mem);
        rule_regex *r = new rule_regex(re2::StringPiece(pattern, len), o);
        if (!r->re.ok()) {
            int code = r->re.error_code();
            // a repetition's message names just the operator: "{1,100}"
            copy_err(code == re2::RE2::ErrorRepeatSize ? r->re.error_arg() : r->re.error(), err,
                     errlen);
            delete r;
            switch (code) {
            case re2::RE2::ErrorRepeatSize:
                return RULE_RE2_REPEAT_SIZE;
            case re2::RE2::ErrorPatternTooLarge:
                return RULE_RE2_TOO_LARGE;
            default:
                return RULE_RE2_INVALID;
            }
        }
        *insts = (size_t)r->re.ProgramSize();
        *out = r;
        return RULE_RE2_OK;
    } catch (...) { // std::bad_alloc, or anything else RE2 lets through
        return RULE_RE2_NOMEM;
    }
}

extern "C" int rule_re2_match(const struct rule_regex *re, const char *text, size_t len)
{
    try {
        return re2::RE2::PartialMatch(re2::StringPiece(text, len), re->re) ? 1 : 0;
    } catch (...) {
        return -1;
    }
}

extern "C" void rule_re2_free(struct rule_regex *re)
{
    delete re;
}
