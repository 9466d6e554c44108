/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Logging in the OpenBSD style: syslog (ident "lbnoded", facility
 * daemon) or, in the foreground, stderr.  Every line names the process
 * that wrote it.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <syslog.h>

void	log_init(int foreground, int verbose);
void	log_procname(const char *name);
void	log_tee(int fd);
void	log_setverbose(int verbose);
int	log_getverbose(void);
void	log_line(int, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	log_fatal(int, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	log_audit(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * The levels, by OpenBSD's names; the ones ending in x leave errno out.
 * log_debug writes only when verbose; fatal and fatalx exit 1.
 */
#define log_warn(...)	log_line(LOG_ERR, 1, __VA_ARGS__)
#define log_warnx(...)	log_line(LOG_ERR, 0, __VA_ARGS__)
#define log_info(...)	log_line(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...)	log_line(LOG_DEBUG, 0, __VA_ARGS__)
#define fatal(...)	log_fatal(1, __VA_ARGS__)
#define fatalx(...)	log_fatal(0, __VA_ARGS__)

#endif /* LOG_H */
