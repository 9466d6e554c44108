/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * "sample cgroup": find the CPU accounting files of a cgroup, so the
 * reporter can measure a container's share of its own quota rather
 * than the host's /proc/stat.  v2 keeps usage and quota side by side
 * (cpu.stat, cpu.max); v1 splits them across the cpuacct and cpu
 * hierarchies, which may or may not be mounted together.
 *
 * For "weight from saturation" also the CPU pressure (PSI) and the
 * throttled time.  PSI is a cgroup v2 file: on a hybrid host, whose
 * controllers are v1, it is in the unified hierarchy, at the same path
 * under /sys/fs/cgroup/unified.  Without a cgroup, or without its
 * cpu.pressure, the whole system's /proc/pressure/cpu.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "monitor.h"

#define CG_LINE_MAX	512

struct cgroup_files {
	int	 version;		/* 0: not in use */
	char	 usage[PATH_MAX_LEN];
	char	 quota[PATH_MAX_LEN];
	char	 period[PATH_MAX_LEN];	/* v1 only */
	char	 cpustat[PATH_MAX_LEN];	/* v1 only: throttled_time */
	char	 pressure[PATH_MAX_LEN];	/* "": /proc/pressure/cpu */
};

#define CG_ROOT		"/sys/fs/cgroup/"
#define CG_UNIFIED	"/sys/fs/cgroup/unified"
#define PSI_SYSTEM	"/proc/pressure/cpu"

/* The config in force; a reload's candidate is found in "found". */
static struct cgroup_files	 cg, found;

static int
exists(const char *dir, const char *file, char *out)
{
	struct stat	 st;

	if (snprintf(out, PATH_MAX_LEN, "%s/%s", dir, file) >= PATH_MAX_LEN)
		return 0;
	return stat(out, &st) == 0;
}

/* "/sys/fs/cgroup/cpuacct/x" -> "/sys/fs/cgroup/cpu/x", and back. */
static int
sibling(const char *dir, const char *from, const char *to, char *out)
{
	const char	*p;

	if ((p = strstr(dir, from)) == NULL)
		return -1;
	if (snprintf(out, PATH_MAX_LEN, "%.*s%s%s", (int)(p - dir), dir, to,
	    p + strlen(from)) >= PATH_MAX_LEN)
		return -1;
	return 0;
}

/*
 * "/sys/fs/cgroup/cpu/x" -> "/sys/fs/cgroup/unified/x/cpu.pressure",
 * if the unified hierarchy has that cgroup.
 */
static void
unified_pressure(const char *dir)
{
	char		 unified[PATH_MAX_LEN];
	const char	*rel;

	found.pressure[0] = '\0';
	if (strncmp(dir, CG_ROOT, strlen(CG_ROOT)) != 0 ||
	    (rel = strchr(dir + strlen(CG_ROOT), '/')) == NULL ||
	    snprintf(unified, sizeof(unified), "%s%s", CG_UNIFIED, rel) >=
	    (int)sizeof(unified) ||
	    !exists(unified, "cpu.pressure", found.pressure))
		found.pressure[0] = '\0';
}

static int
cgroup_v1(const char *dir)
{
	char	 other[PATH_MAX_LEN];

	if (exists(dir, "cpuacct.usage", found.usage)) {
		if (exists(dir, "cpu.cfs_quota_us", found.quota))
			goto period;
		if (sibling(dir, "/cpuacct/", "/cpu/", other) == 0 &&
		    exists(other, "cpu.cfs_quota_us", found.quota)) {
			dir = other;
			goto period;
		}
		return -1;
	}
	if (!exists(dir, "cpu.cfs_quota_us", found.quota) ||
	    sibling(dir, "/cpu/", "/cpuacct/", other) == -1 ||
	    !exists(other, "cpuacct.usage", found.usage))
		return -1;
period:
	if (!exists(dir, "cpu.cfs_period_us", found.period))
		return -1;
	if (!exists(dir, "cpu.stat", found.cpustat))
		found.cpustat[0] = '\0';
	unified_pressure(dir);
	found.version = 1;
	return 0;
}

static int
cgroup_dir(const char *dir)
{
	if (exists(dir, "cpu.stat", found.usage) &&
	    exists(dir, "cpu.max", found.quota)) {
		if (!exists(dir, "cpu.pressure", found.pressure))
			found.pressure[0] = '\0';
		found.version = 2;
		return 0;
	}
	return cgroup_v1(dir);
}

/* "auto": the cgroup this process is in, from /proc/self/cgroup. */
static int
cgroup_auto(char *dir, size_t len)
{
	static const char	*v1roots[] = {
		"/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/cpu,cpuacct",
	};
	char			 line[CG_LINE_MAX], *ctrl, *path;
	FILE			*fp;
	size_t			 i;
	int			 rc = -1;

	if ((fp = fopen("/proc/self/cgroup", "re")) == NULL)
		return -1;
	while (rc == -1 && fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((ctrl = strchr(line, ':')) == NULL ||
		    (path = strchr(++ctrl, ':')) == NULL)
			continue;
		*path++ = '\0';
		if (*ctrl == '\0') {
			snprintf(dir, len, "/sys/fs/cgroup%s", path);
			if (cgroup_dir(dir) == 0)
				rc = 0;
			continue;
		}
		if (strstr(ctrl, "cpuacct") == NULL)
			continue;
		for (i = 0; rc == -1 && i < 2; i++) {
			snprintf(dir, len, "%s%s", v1roots[i], path);
			if (cgroup_dir(dir) == 0)
				rc = 0;
		}
	}
	fclose(fp);
	return rc;
}

/* Into found, and nothing else: the files in use stay in cg. */
int
cgroup_check(const char *cgroup)
{
	char	 dir[PATH_MAX_LEN];

	memset(&found, 0, sizeof(found));
	if (strcmp(cgroup, "auto") == 0)
		return cgroup_auto(dir, sizeof(dir));
	return cgroup_dir(cgroup);
}

int
cgroup_prepare(const struct lbn_settings *s)
{
	if (s->cgroup[0] == '\0') {
		memset(&cg, 0, sizeof(cg));
		return 0;
	}
	if (cgroup_check(s->cgroup) == -1) {
		log_warnx("sample cgroup %s: no CPU accounting files found",
		    s->cgroup);
		return -1;
	}
	if (found.pressure[0] == '\0')
		log_info("sample cgroup %s: no cpu.pressure, the system's CPU "
		    "pressure stands in", s->cgroup);
	log_debug("cgroup v%d: %s, %s, pressure %s", found.version,
	    found.usage, found.quota,
	    found.pressure[0] ? found.pressure : PSI_SYSTEM);
	cg = found;	/* the last step of confsend_prepare: it will apply */
	return 0;
}

static void
cgroup_send_file(enum procfd_kind kind, const char *path)
{
	struct procfd_msg	 pm = { .kind = kind,
	    .cgroup_version = (uint32_t)cg.version };
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s", path);
		return;
	}
	proc_send(PROC_REPORTER, IMSG_REP_PROCFD, 0, fd, &pm, sizeof(pm));
}

/* The cgroup's files, and the CPU pressure: the cgroup's or the system's. */
void
cgroup_send(void)
{
	if (cg.pressure[0] != '\0')
		cgroup_send_file(PROCFD_PRESSURE, cg.pressure);
	else if (access(PSI_SYSTEM, R_OK) == 0)
		cgroup_send_file(PROCFD_PRESSURE, PSI_SYSTEM);
	if (cg.version == 0)
		return;
	cgroup_send_file(PROCFD_CGROUP_USAGE, cg.usage);
	cgroup_send_file(PROCFD_CGROUP_QUOTA, cg.quota);
	if (cg.version == 1) {
		cgroup_send_file(PROCFD_CGROUP_PERIOD, cg.period);
		if (cg.cpustat[0] != '\0')
			cgroup_send_file(PROCFD_CGROUP_CPUSTAT, cg.cpustat);
	}
}
