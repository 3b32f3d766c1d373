#ifndef PLAYROUTER_DOMAIN_USER_H
#define PLAYROUTER_DOMAIN_USER_H
/* A signed-in Spotify account (API.md "Auth"). Strings are borrowed (the filler's arena). */
#include <stdint.h>

struct user {
    const char *id;
    const char *spotify_user_id;
    const char *display_name; /* may be NULL */
    const char *created, *updated;
    int needs_reauth;
};

#endif
