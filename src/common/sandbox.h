/* Privilege reduction shared by the children. */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stddef.h>

/* One allowed syscall; arg0 >= 0 allows it only with that first argument. */
struct sandbox_rule {
	int	 nr;
	int	 arg0;
};
#define SANDBOX_ANY	(-1)

void	 sandbox_chroot_user(const char *, const char *);
void	 sandbox_keep_cap(int);
void	 sandbox_no_new_privs(void);
void	 sandbox_seccomp(const struct sandbox_rule *, size_t);
void	 sandbox_pdeathsig(void);

/* sandbox_keep_cap: -1 keeps no capability at all. */

#endif /* SANDBOX_H */
