/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The admin state survives restarts, so a node drained for maintenance
 * does not come back as ready just because the daemon or the machine
 * restarted.  The file holds one word: ready, drain or maint.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "monitor.h"
#include "names.h"

uint32_t
state_load(const char *path)
{
	char		 word[16];
	FILE		*fp;
	uint32_t	 s;

	if ((fp = fopen(path, "re")) == NULL) {
		if (errno != ENOENT)
			log_warn("state file %s", path);
		return ADMIN_READY;
	}
	if (fscanf(fp, "%15s", word) == 1 && admin_from_name(word, &s) == 0) {
		fclose(fp);
		return s;
	}
	fclose(fp);
	log_warnx("state file %s: not ready, drain or maint; using ready",
	    path);
	return ADMIN_READY;
}

/*
 * Root writes the state file, so its directory must be one nobody
 * else can change: otherwise they could swap in a link or a file of
 * their own between our checks and our writes.  A source install has
 * no package to create it, so a missing one is created here, root's
 * and 0755, as the monitor does the socket directory; its parent must
 * exist.
 */
static int
state_dir_open(const char *dir, char *err, size_t errlen)
{
	struct stat	 st;
	int		 fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 &&
	    errno == ENOENT && (mkdir(dir, 0755) == 0 || errno == EEXIST))
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "state directory %s: %s", dir,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen, "state directory %s: not owned by root "
		    "or writable by others", dir);
		close(fd);
		return -1;
	}
	return fd;
}

/* Write name.new in dirfd, the word and a newline, on disk. */
static int
state_write_new(int dirfd, const char *tmp, uint32_t state)
{
	char	 line[16];
	int	 fd, len;

	/* A leftover, or a link somebody planted: the name, not its target. */
	if (unlinkat(dirfd, tmp, 0) == -1 && errno != ENOENT)
		return -1;
	if ((fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0644)) == -1)
		return -1;
	len = snprintf(line, sizeof(line), "%s\n", admin_name(state));
	errno = 0;
	if (write(fd, line, (size_t)len) != len) {
		if (errno == 0)		/* a short write: the disk is full */
			errno = ENOSPC;
		close(fd);
		return -1;
	}
	if (fsync(fd) == -1) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/*
 * Write a new file and rename it over the old: never half a state.
 * On failure the old file is untouched and err says why.
 */
int
state_save(const char *path, uint32_t state, char *err, size_t errlen)
{
	char		 dir[PATH_MAX_LEN], tmp[PATH_MAX_LEN + 8];
	const char	*base, *slash = strrchr(path, '/');
	int		 dirfd, saved;

	if (slash == NULL || (size_t)(slash - path) >= sizeof(dir)) {
		snprintf(err, errlen, "state file %s: not an absolute path",
		    path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
	    (int)(slash - path), path);
	base = slash + 1;
	snprintf(tmp, sizeof(tmp), "%s.new", base);
	if ((dirfd = state_dir_open(dir, err, errlen)) == -1)
		return -1;
	if (state_write_new(dirfd, tmp, state) == -1 ||
	    renameat(dirfd, tmp, dirfd, base) == -1) {
		saved = errno;
		(void)unlinkat(dirfd, tmp, 0);
		close(dirfd);
		snprintf(err, errlen, "state file %s: %s", path,
		    strerror(saved));
		return -1;
	}
	/* The new state is in place; only its durability is in doubt. */
	if (fsync(dirfd) == -1)
		log_warn("state directory %s: fsync", dir);
	close(dirfd);
	return 0;
}
