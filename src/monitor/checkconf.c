/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * What a configuration refers to, checked on this system before it is
 * used, as haproxy -c does: lbnoded -n, the start and every reload run
 * these.  Each problem names the statement behind it, "file:line:", or
 * the file alone for a default nobody wrote.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <linux/capability.h>
#include <net/if.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "key.h"
#include "log.h"
#include "monitor.h"

#define CTLSOCK_DIR_MODE	0750	/* root and the control group */

/* The capabilities the children take from the monitor, and why. */
static const struct {
	int		 cap;
	const char	*name;
	const char	*why;
} needed_caps[] = {
	{ CAP_NET_ADMIN,	"CAP_NET_ADMIN",  "netcfg changes the network" },
	{ CAP_SYS_CHROOT,	"CAP_SYS_CHROOT", "the reporter chroots" },
	{ CAP_SETUID,		"CAP_SETUID",	  "the reporter changes user" },
	{ CAP_SETGID,		"CAP_SETGID",	  "the reporter changes group" },
	{ CAP_SETPCAP,		"CAP_SETPCAP",	  "the children shed capabilities" },
};

static const char *
dflt(const struct conf_where *w)
{
	return w->line == 0 ? " (the default)" : "";
}

static int
check_interface(const struct lbn_conf *c)
{
	const struct conf_where	*w = &c->where[ITEM_INTERFACE];

	/* Unset: the default route's, found when the daemon starts. */
	if (c->s.interface[0] == '\0' || if_nametoindex(c->s.interface) != 0)
		return 0;
	config_error(w, "interface \"%s\" does not exist", c->s.interface);
	return -1;
}

static int
check_key(const struct lbn_conf *c)
{
	struct key_msg	 key;
	char		 why[PATH_MAX_LEN + 64];
	int		 rc;

	if (c->s.keyfile[0] == '\0')
		return 0;
	if ((rc = key_load(c->s.keyfile, &key, why, sizeof(why))) == -1)
		config_error(&c->where[ITEM_KEYFILE], "%s", why);
	sodium_memzero(&key, sizeof(key));
	return rc;
}

static int
check_user(const struct lbn_conf *c)
{
	const struct conf_where	*w = &c->where[ITEM_USER];

	errno = 0;
	if (getpwnam(c->s.user) != NULL)
		return 0;
	if (errno != 0)
		config_error(w, "user \"%s\"%s: %s", c->s.user, dflt(w),
		    strerror(errno));
	else
		config_error(w, "user \"%s\"%s does not exist: create it with "
		    "\"useradd --system --no-create-home --shell "
		    "/usr/sbin/nologin %s\"", c->s.user, dflt(w), c->s.user);
	return -1;
}

/* What must be a directory: -1 logged, naming what it is for. */
static int
check_dir(const struct conf_where *w, const char *what, const char *path)
{
	struct stat	 st;

	if (stat(path, &st) == -1) {
		config_error(w, "%s %s%s: %s", what, path, dflt(w),
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		config_error(w, "%s %s%s is not a directory", what, path,
		    dflt(w));
		return -1;
	}
	return 0;
}

static int
check_cgroup(const struct lbn_conf *c)
{
	const struct conf_where	*w = &c->where[ITEM_CGROUP];

	if (c->s.cgroup[0] == '\0')
		return 0;
	if (strcmp(c->s.cgroup, "auto") != 0 &&
	    check_dir(w, "sample cgroup", c->s.cgroup) == -1)
		return -1;
	if (cgroup_check(c->s.cgroup) == 0)
		return 0;
	config_error(w, "sample cgroup %s: no CPU accounting files "
	    "(cpu.stat and cpu.max, or cgroup v1's cpuacct.usage and "
	    "cpu.cfs_quota_us)", c->s.cgroup);
	return -1;
}

static void
ctlsock_dir(const struct lbn_conf *c, char *dir, size_t len)
{
	char	 path[PATH_MAX_LEN];

	snprintf(path, sizeof(path), "%s", c->s.ctlsock);
	snprintf(dir, len, "%s", dirname(path));
}

/* It exists, or its parent does and the monitor makes it at start. */
static int
check_ctlsock(const struct lbn_conf *c)
{
	const struct conf_where	*w = &c->where[ITEM_CTLSOCK];
	char			 dir[PATH_MAX_LEN], parent[PATH_MAX_LEN];
	struct stat		 st;

	ctlsock_dir(c, dir, sizeof(dir));
	if (stat(dir, &st) == 0 || errno != ENOENT)
		return check_dir(w, "control socket directory", dir);
	snprintf(parent, sizeof(parent), "%s", dirname(dir));
	return check_dir(w, "control socket directory's parent", parent);
}

/*
 * The bounding set only ever shrinks: a capability missing from it
 * now is missing for good, and a child restarted forever would not
 * find it either.
 */
static int
check_caps(void)
{
	size_t	 i;
	int	 rc = 0;

	for (i = 0; i < nitems(needed_caps); i++) {
		if (prctl(PR_CAPBSET_READ, needed_caps[i].cap, 0, 0, 0) == 1)
			continue;
		log_warnx("%s is not in the capability bounding set, and %s: "
		    "give it to lbnoded (systemd's CapabilityBoundingSet=, "
		    "a container's --cap-add)", needed_caps[i].name,
		    needed_caps[i].why);
		rc = -1;
	}
	return rc;
}

int
checkconf(const struct lbn_conf *c)
{
	int	 rc = 0;

	/* In the order lbnoded.conf(5) lists them. */
	rc |= check_interface(c);
	rc |= check_user(c);
	rc |= check_dir(&c->where[ITEM_CHROOT], "chroot", c->s.chroot);
	rc |= check_key(c);
	rc |= check_cgroup(c);
	rc |= check_ctlsock(c);
	rc |= check_caps();
	return rc;
}

/* Made when missing, root:lbnoded 0750; one that exists is left alone. */
int
checkconf_ctlsock_dir(const struct lbn_conf *c)
{
	char		 dir[PATH_MAX_LEN];
	struct group	*gr;

	ctlsock_dir(c, dir, sizeof(dir));
	if (mkdir(dir, CTLSOCK_DIR_MODE) == -1) {
		if (errno == EEXIST)
			return 0;
		log_warn("control socket directory %s", dir);
		return -1;
	}
	gr = getgrnam(LBNODED_GROUP);
	if (chown(dir, 0, gr != NULL ? gr->gr_gid : 0) == -1 ||
	    chmod(dir, CTLSOCK_DIR_MODE) == -1) {
		log_warn("control socket directory %s", dir);
		return -1;
	}
	log_info("made the control socket directory %s", dir);
	return 0;
}
