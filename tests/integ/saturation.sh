#!/bin/sh
# "weight from saturation" on a real node: the reporter counts the
# connections on its service ports through the sock_diag socket the
# monitor hands it (its seccomp filter allows the dump), shows the
# signals in lbnodectl status, and says once that a signal is missing.
. "$top_srcdir/tests/integ/lib.sh"
need_root
command -v socat >/dev/null || bail "socat missing: apt-get install socat"

NODE=lbn-sat-n-$$
LB=lbn-sat-l-$$
SOCK=$LAB_DIR/ctl.sock
CONF=$LAB_DIR/lbnoded.conf
N=198.18.0.1
CLIENT=198.18.0.2
CONNS=5

netns_add "$NODE"
netns_add "$LB"
veth_pair "$NODE" lbn-sn0 "$LB" lbn-sl0
ip -n "$NODE" addr add $N/24 dev lbn-sn0
ip -n "$LB" addr add $CLIENT/24 dev lbn-sl0

conf() {	# conf [SERVICE-LINE]
	cat <<EOC
interface "lbn-sn0"
control socket "$SOCK"
state file "$LAB_DIR/state"
agent port 3333
announce off
sample every 250ms
weight from saturation
$1
EOC
}
ctl() { "$LBNODECTL" -s "$SOCK" "$@"; }
field() { ctl status | awk -v f="$1" 'index($0, f) == 1 { sub(f, ""); print }'; }
established() { field "service ports:" | awk '{ print $3 }'; }
missing() { field "signals missing:" | tr -d ' '; }
up() { [ -n "$(field "saturation:")" ]; }

conf "service port 8080" >"$CONF"
daemon_start "$NODE" "$CONF"
check "daemon up, status shows the saturation signals" wait_for 10 up
REP=$(child_pid "$DAEMON_PID" reporter)

# A service on 8080 and CONNS clients that stay connected.
ip netns exec "$NODE" socat -u TCP-LISTEN:8080,bind=$N,fork,reuseaddr \
    OPEN:/dev/null &
LAB_PIDS="$LAB_PIDS $!"
listening() { ip netns exec "$NODE" ss -Htln 'sport = :8080' | grep -q .; }
wait_for 5 listening || bail "nc does not listen"
i=0
while [ $i -lt $CONNS ]; do
	sleep 30 | ip netns exec "$LB" socat -u - TCP:$N:8080 &
	LAB_PIDS="$LAB_PIDS $!"
	i=$((i + 1))
done
counted() { [ "$(established)" = "$CONNS" ]; }
check "status counts the $CONNS connections on the service port" \
    wait_for 5 counted
check "status -j has them too" \
    sh -c "'$LBNODECTL' -s '$SOCK' -j status | grep -q '\"established\":$CONNS,'"
if [ -r /proc/pressure/cpu ] && head -1 /proc/pressure/cpu >/dev/null 2>&1; then
	check "no signal missing (PSI from /proc/pressure/cpu, no cgroup)" \
	    test "$(missing)" = none
else
	check "PSI missing on this kernel, and said so" test "$(missing)" = pressure
fi

# The capacity A in the host's CPUs without a cgroup, over full: 8 by
# default.  capacity_is WANT: the status shows A = WANT %, after a reload.
NCPU=$(grep -c '^cpu[0-9]' /proc/stat)
capacity() { field "saturation:" | sed -n 's/.*capacity \([0-9.]*\) %.*/\1/p'; }
capacity_is() { [ "$(capacity)" = "$1" ]; }
want=$(awk -v n="$NCPU" 'BEGIN { printf "%.2f", (n >= 8 ? 100 : n * 100 / 8) }')
check "capacity quota, no cgroup: the host's $NCPU CPUs of 8 ($want %)" \
    wait_for 5 capacity_is "$want"
conf "service port 8080
weight capacity quota full $((NCPU * 2))" >"$CONF"
ctl reload >/dev/null
check "full $((NCPU * 2)) CPUs: 50 %, whatever the host" \
    wait_for 5 capacity_is 50.00
conf "service port 8080
weight capacity quota full 0.5" >"$CONF"
ctl reload >/dev/null
check "full 0.5 CPU: 100 %, no more" wait_for 5 capacity_is 100.00
conf "service port 8080
weight capacity measured full 1000" >"$CONF"
ctl reload >/dev/null
check "measured, nothing completed yet: 100 %" wait_for 5 capacity_is 100.00

# No service port and no vip block: nothing to dump, said once.
conf >"$CONF"
ctl reload >/dev/null
said() { grep -q "no sockdiag signal" "$LAB_DIR/daemon.log"; }
check "a reload without service ports: sockdiag missing in the log" \
    wait_for 5 said
check "... and in lbnodectl status" sh -c \
    "'$LBNODECTL' -s '$SOCK' status | grep -q '^signals missing:.*sockdiag'"
sleep 1		# a window of four ticks, each without the signal
check "said once, not every tick" \
    test "$(grep -c "no sockdiag signal" "$LAB_DIR/daemon.log")" -eq 1

check "reporter survived every dump (seccomp)" \
    test "$(child_pid "$DAEMON_PID" reporter)" = "$REP"
done_testing
