/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * dlopen() a library by its soname and look up the functions a process
 * calls in it.  The library stays loaded for the life of the process.
 */
#include <dlfcn.h>

#include "dynlib.h"
#include "log.h"

/* 0, or -1 with a warning when the library or one of the names is missing. */
int
dynlib_load(const char *soname, const struct dynsym *syms, size_t n)
{
	void	*lib;
	size_t	 i;

	if ((lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_warnx("cannot load %s: %s", soname, dlerror());
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((*syms[i].fn = dlsym(lib, syms[i].name)) == NULL) {
			log_warnx("%s: no %s", soname, syms[i].name);
			(void)dlclose(lib);
			return -1;
		}
	}
	return 0;
}
