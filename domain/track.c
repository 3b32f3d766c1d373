#include "domain/track.h"

#include <string.h>

#include "lib/util.h"

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* Reads exactly n digits; -1 if any is not a digit. */
static int read_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int track_set_release_date(struct track *t, const char *date)
{
    t->has &= ~(unsigned)TRACK_HAS_RELEASE;
    t->release_date = date;
    if (!date)
        return -1;
    size_t len = strlen(date);
    int y = len >= 4 ? read_digits(date, 4) : -1;
    int m = 0, d = 0;
    if (y < 0)
        return -1;
    if (len == 4) {
        t->release_first_day = (int32_t)util_days_from_civil(y, 1, 1);
        t->release_last_day = (int32_t)util_days_from_civil(y, 12, 31);
    } else if (len == 7 && date[4] == '-') {
        m = read_digits(date + 5, 2);
        if (m < 1 || m > 12)
            return -1;
        t->release_first_day = (int32_t)util_days_from_civil(y, (unsigned)m, 1);
        t->release_last_day =
            (int32_t)util_days_from_civil(y, (unsigned)m, (unsigned)days_in_month(y, m));
    } else if (len == 10 && date[4] == '-' && date[7] == '-') {
        m = read_digits(date + 5, 2);
        d = read_digits(date + 8, 2);
        if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
            return -1;
        t->release_first_day = t->release_last_day =
            (int32_t)util_days_from_civil(y, (unsigned)m, (unsigned)d);
    } else {
        return -1;
    }
    t->release_year = y;
    t->has |= TRACK_HAS_RELEASE;
    return 0;
}

int track_parse_day(const char *s, int32_t *out_day)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int y = read_digits(s, 4), m = read_digits(s + 5, 2), d = read_digits(s + 8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *out_day = (int32_t)util_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}
