#ifndef PLAYROUTER_LOG_H
#define PLAYROUTER_LOG_H
/* One line per message on stderr: "2026-11-23T14:30:00Z level message".
 * Never pass a token, a secret or an Authorization header. */
enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below `level` are dropped. Set once at start-up, before threads start. */
void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
