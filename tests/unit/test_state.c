/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The admin state file (src/monitor/state.c): its directory created
 * when a source install left none, refused when others may write it,
 * and the state read back as written.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor.h"
#include "tap.h"

int
main(void)
{
	char		 top[] = "/tmp/test_state.XXXXXX";
	char		 dir[64], path[80], err[256];
	struct stat	 st;

	umask(022);
	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/lbnoded", top);
	snprintf(path, sizeof(path), "%s/state", dir);

	is_int(state_save(path, ADMIN_DRAIN, err, sizeof(err)), 0,
	    "a missing state directory is created");
	ok(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 07777) == 0755 && st.st_uid == geteuid(),
	    "the created directory: ours, 0755");
	is_int(state_load(path), ADMIN_DRAIN, "the state read back");
	is_int(state_save(path, ADMIN_MAINT, err, sizeof(err)), 0,
	    "a second save into the directory now there");
	is_int(state_load(path), ADMIN_MAINT, "the second state read back");

	unlink(path);
	chmod(dir, 0775);
	is_int(state_save(path, ADMIN_DRAIN, err, sizeof(err)), -1,
	    "a group-writable state directory is refused");
	ok(strstr(err, "writable by others") != NULL, "and the reason said");
	rmdir(dir);

	snprintf(path, sizeof(path), "%s/no/such/state", top);
	is_int(state_save(path, ADMIN_DRAIN, err, sizeof(err)), -1,
	    "a missing parent is not created");
	ok(strstr(err, "No such file or directory") != NULL,
	    "and the error names why");
	rmdir(top);
	return done_testing();
}
