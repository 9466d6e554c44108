# Shared by the integration tests: TAP output, scratch network
# namespaces that are always removed, and the daemon under test.
# Every test is run as root; nothing here touches the host's own
# interfaces or sends a packet outside the namespaces it creates.

: "${LBNODED:=$top_builddir/lbnoded}"
: "${LBNODECTL:=$top_builddir/lbnodectl}"
TAP_N=0
TAP_FAILED=0
LAB_NS=""
LAB_PIDS=""
LAB_DIR=$(mktemp -d /tmp/lbn-test.XXXXXX)
chmod 755 "$LAB_DIR"

ok() {		# ok CONDITION-EXIT-STATUS NAME
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		TAP_FAILED=$((TAP_FAILED + 1))
		echo "not ok $TAP_N - $2"
	fi
}

check() {	# check NAME COMMAND...: one test, passing when COMMAND succeeds
	name=$1; shift
	if "$@" >"$LAB_DIR/check.out" 2>&1; then
		ok 0 "$name"
	else
		ok 1 "$name"
		sed 's/^/#   /' "$LAB_DIR/check.out" | head -20
	fi
}

diag() { echo "# $*"; }

bail() { echo "Bail out! $*"; exit 1; }

need_root() {
	[ "$(id -u)" -eq 0 ] || bail "integration tests run as root"
}

# wait_for SECONDS COMMAND...: poll every 50 ms until COMMAND succeeds.
wait_for() {
	limit=$(( $1 * 20 )); shift
	i=0
	while [ $i -lt $limit ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# netns_add NAME: a namespace with lo up, removed at exit.
netns_add() {
	ip netns add "$1" || bail "ip netns add $1"
	LAB_NS="$LAB_NS $1"
	ip -n "$1" link set lo up
}

# veth_pair NS1 IF1 NS2 IF2: a link between two namespaces.
veth_pair() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" ||
	    bail "veth $2 $4"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# daemon_start NS CONF [ARGS]: run lbnoded -d in NS; sets DAEMON_PID.
daemon_start() {
	ns=$1; conf=$2; shift 2
	ip netns exec "$ns" "$LBNODED" -d -f "$conf" "$@" \
	    >>"$LAB_DIR/daemon.log" 2>&1 &
	DAEMON_PID=$!
	LAB_PIDS="$LAB_PIDS $DAEMON_PID"
}

# children_of PID: the pids whose parent is PID.
children_of() {
	for s in /proc/[0-9]*/stat; do
		p=${s#/proc/}; p=${p%/stat}
		pp=$(awk '{ print $4 }' "$s" 2>/dev/null) || continue
		[ "$pp" = "$1" ] && echo "$p"
	done
	return 0
}

# child_pid MONITOR-PID NAME: the child whose cmdline is "lbnoded -P NAME".
child_pid() {
	for c in $(children_of "$1"); do
		if tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null |
		    grep -q -- "-P $2"; then
			echo "$c"
			return 0
		fi
	done
	return 1
}

# readable_copy FILE: a copy of FILE in $LAB_DIR that every user may
# read (and run, if FILE is a program); prints its path.  Checks that
# run as another user use it: the checkout and the build may be in a
# directory only root can enter, such as root's home.
readable_copy() {
	mkdir -p "$LAB_DIR/readable" && chmod 755 "$LAB_DIR/readable" &&
	    cp "$1" "$LAB_DIR/readable/" &&
	    chmod a+rX "$LAB_DIR/readable/${1##*/}" &&
	    echo "$LAB_DIR/readable/${1##*/}"
}

status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# check_sandbox NAME PID CAPS: the /proc/PID/status a sandboxed child
# shows: CAPS (hex) as its effective, permitted and bounding sets,
# no_new_privs, and a seccomp filter.
check_sandbox() {
	for f in CapEff CapPrm CapBnd; do
		check "$1 $f is $3" test "$(status_field "$2" $f)" = "$3"
	done
	check "$1 NoNewPrivs" test "$(status_field "$2" NoNewPrivs)" = 1
	check "$1 seccomp filter" test "$(status_field "$2" Seccomp)" = 2
}

# socket_inodes PID: the inode of every socket PID holds, one a line.
socket_inodes() {
	for fd in /proc/"$1"/fd/*; do
		l=$(readlink "$fd" 2>/dev/null) || continue
		case $l in socket:\[*\]) l=${l#socket:[}; echo "${l%]}" ;; esac
	done
}

# maps PID LIBRARY: the process has LIBRARY mapped; unmapped PID LIBRARY:
# it has not (and the process exists).
maps() { grep -q "/$2" "/proc/$1/maps"; }
unmapped() { test -r "/proc/$1/maps" && ! maps "$1" "$2"; }

lab_cleanup() {
	for p in $LAB_PIDS; do
		kill "$p" 2>/dev/null
	done
	sleep 0.2
	for p in $LAB_PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	for ns in $LAB_NS; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	if [ "$TAP_FAILED" -ne 0 ] && [ -s "$LAB_DIR/daemon.log" ]; then
		echo "# daemon log:"
		sed 's/^/#   /' "$LAB_DIR/daemon.log" | tail -40
	fi
	rm -rf "$LAB_DIR"
}
trap lab_cleanup EXIT

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
