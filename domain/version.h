#ifndef PLAYROUTER_DOMAIN_VERSION_H
#define PLAYROUTER_DOMAIN_VERSION_H
/* Resource versions (API.md "Semantics in detail -> Resources"): a version starts at
 * 1 and grows by 1 on every change made through the API. What an If-Match asks for
 * is a version, or one of these: */
#define PLAYLIST_IF_MATCH_NONE 0     /* no If-Match (or "*"): any version will do */
#define PLAYLIST_IF_MATCH_NEVER (-1) /* names no valid version: matches nothing (412) */

#endif
