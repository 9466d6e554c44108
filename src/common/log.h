/*
 * Logging in the OpenBSD style: syslog (ident "lbnoded", facility
 * daemon) or, in the foreground, stderr.  Every line names the process
 * that wrote it.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

void	log_init(int foreground, int verbose);
void	log_procname(const char *name);
void	log_tee(int fd);
void	log_setverbose(int verbose);
int	log_getverbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	logit(int, const char *, ...) __attribute__((format(printf, 2, 3)));
void	log_audit(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif /* LOG_H */
