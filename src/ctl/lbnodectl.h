/* lbnodectl: control of the local daemon, and an LB's view of any node. */
#ifndef LBNODECTL_H
#define LBNODECTL_H

/* Each command takes the arguments after its own name; returns the exit status. */

/* show.c, over the control socket (ctlsock.c) */
int	 cmd_status(int, char **);
int	 cmd_show(int, char **);	/* show vips | show lbs */
int	 cmd_admin(int, char **);	/* drain | ready | maint */
int	 cmd_reload(int, char **);
int	 cmd_log(int, char **);		/* log verbose | brief */

/* probe.c, over LBNP as a load balancer speaks it */
int	 cmd_probe(int, char **);
int	 cmd_push(int, char **);

/* listen.c */
int	 cmd_listen(int, char **);

extern const char	*ctl_socket_path;	/* -s, default LBNODED_SOCKET */
extern int		 ctl_json;		/* -j */

#endif /* LBNODECTL_H */
