// Package e2e runs mlog's user stories end to end: moving qmail from an rc
// script to daemontools, with the service directories of examples/qmail under our
// svscan, real mail from Debian's swaks through Debian's tcpserver, and the
// article's svc, svstat, touch down and dot-rename commands; and README's
// "Migrating a running /service tree" and Install.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/tai64"
)

// mails is how many messages swaks sends before the svc commands.
const mails = 20

// names are the daemontools programs, symlinks to mlog-tools as make build
// makes them (multilog and supervise are binaries of their own).
var names = []string{"tai64n", "tai64nlocal", "svscan", "svscanboot", "svc", "svstat", "svok",
	"setuidgid", "envuidgid", "envdir", "softlimit", "readproctitle"}

// story is one run of the article in a temporary root.
type story struct {
	t        *testing.T
	start    time.Time
	bin      string // our programs
	base     string // stands for /
	services string // base/var/qmail/services
	scan     string // base/service
	logs     string // base/var/log
	env      []string
	uid      int // the uid the loggers and smtpd run as
}

func TestQmailStory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every binary and runs for about 20 s")
	}
	testkit.NeedPeer(t, "swaks", "swaks")
	testkit.NeedPeer(t, "tcpserver", "ucspi-tcp")
	testkit.NeedPeer(t, "/usr/bin/svstat", "daemontools")
	testkit.NeedPeer(t, "/usr/bin/tai64nlocal", "daemontools")

	s := &story{t: t, start: time.Now(), base: t.TempDir()}
	s.bin = s.base + "/bin"
	s.services = s.base + "/var/qmail/services"
	s.scan = s.base + "/service"
	s.logs = s.base + "/var/log"
	s.env = append(os.Environ(), "PATH="+s.bin+":/usr/local/bin:/usr/bin:/bin")
	s.build()
	s.phase("built")
	smtpPort, popPort := testkit.FreePort(t), testkit.FreePort(t)
	s.install(smtpPort, popPort)
	s.startSvscan()

	// # ln -s /var/qmail/services/qmail /service/qmail, and the same for
	// smtpd and pop3d: svscan starts a supervise for each and its log.
	for _, name := range []string{"qmail", "smtpd", "pop3d"} {
		s.sh("ln -s " + s.services + "/" + name + " " + s.scan + "/" + name)
	}
	all := []string{"qmail", "qmail/log", "smtpd", "smtpd/log", "pop3d", "pop3d/log"}
	for _, d := range all {
		s.waitStatus(d, upRE)
	}
	s.sameSvstat(all...)
	s.phase("all six up")
	smtpd, pop3d, qmail := s.logs+"/smtpd", s.logs+"/pop3d", s.logs+"/qmail"
	s.waitLine(qmail, "status: local 0/10 remote 0/20")
	s.waitLine(smtpd, "tcpserver: status: 0/40")
	s.waitLine(pop3d, "tcpserver: status: 0/40")
	if os.Getuid() == 0 {
		// setuidgid qmaill: the loggers write as the account.
		for _, dir := range []string{qmail, smtpd, pop3d} {
			if st, err := os.Stat(dir + "/current"); err != nil {
				t.Error(err)
			} else if uid := st.Sys().(*syscall.Stat_t).Uid; int(uid) != s.uid {
				t.Errorf("%s/current is owned by uid %d, want %d (setuidgid)", dir, uid, s.uid)
			}
		}
	}

	// Mail: every session's lines, stamped, in order.
	qps := s.sendMails(smtpPort, 0, mails)
	for i, qp := range qps {
		s.checkSession(smtpPort, i, qp)
	}

	// POP3 through tcpserver, logged.
	s.phase("mails logged")
	s.checkPOP3(popPort)

	// # svc -d /service/smtpd: tcpserver is gone, svstat says since when.
	s.sh("svc -d " + s.scan + "/smtpd")
	s.waitStatus("smtpd", regexp.MustCompile(`^down \d+ seconds, normally up$`))
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(smtpPort), time.Second); err == nil {
		c.Close()
		t.Errorf("port %d still accepts connections after svc -d", smtpPort)
	}
	s.sameSvstat("smtpd", "smtpd/log")

	// # svc -u /service/smtpd: mail flows again.
	up := time.Now()
	s.sh("svc -u " + s.scan + "/smtpd")
	s.waitStatus("smtpd", upRE)
	s.waitFunc("smtpd listening again", func() bool {
		for _, l := range s.lines(smtpd) {
			if l.text == "tcpserver: status: 0/40" && !l.at.Before(up.Truncate(time.Microsecond)) {
				return true
			}
		}
		return false
	})
	qps = append(qps, s.sendMails(smtpPort, mails, 1)...)
	s.checkSession(smtpPort, mails, qps[mails])
	s.sameSvstat("smtpd")

	// # touch /service/qmail/down: normally down, so a running service says
	// so, and after svc -d svstat has nothing to add.
	s.sh("touch " + s.scan + "/qmail/down")
	s.waitStatus("qmail", regexp.MustCompile(`^up \(pid \d+\) \d+ seconds, normally down$`))
	s.sameSvstat("qmail")
	s.sh("svc -d " + s.scan + "/qmail")
	s.waitStatus("qmail", regexp.MustCompile(`^down \d+ seconds$`))
	s.waitLine(qmail, "status: exiting") // TERM reached qmail-send's stand-in
	s.sameSvstat("qmail", "qmail/log")
	s.phase("svc -d, svc -u, touch down")

	// Removing pop3d without a reboot, as the article does:
	// # svc -d /service/pop3d/log
	// # mv /service/pop3d /service/.pop3d
	// # svc -x /service/.pop3d/log
	s.sh("svc -d " + s.scan + "/pop3d")
	s.waitStatus("pop3d", regexp.MustCompile(`^down \d+ seconds, normally up$`))
	s.sh("svc -d " + s.scan + "/pop3d/log")
	s.waitStatus("pop3d/log", regexp.MustCompile(`^down \d+ seconds, normally up$`))
	s.sh("mv " + s.scan + "/pop3d " + s.scan + "/.pop3d")
	s.sh("svc -x " + s.scan + "/.pop3d/log")
	s.waitStatus(".pop3d/log", regexp.MustCompile(`^supervise not running$`))
	// # svstat /service/.pop3d
	s.waitStatus(".pop3d", regexp.MustCompile(`^down \d+ seconds, normally up$`))
	s.sameSvstat(".pop3d", ".pop3d/log")
	s.sh("svc -x " + s.scan + "/.pop3d")
	s.waitStatus(".pop3d", regexp.MustCompile(`^supervise not running$`))
	s.sameSvstat(".pop3d")

	// A service linked in now, with a down file, shows that svscan has
	// rescanned since (and that down keeps a new service from starting):
	// the dot-named pop3d was not started again.
	probe := s.services + "/probe"
	writeScript(t, probe+"/run", "#!/bin/sh\nexec sleep 100\n")
	os.WriteFile(probe+"/down", nil, 0644)
	s.sh("ln -s " + probe + " " + s.scan + "/probe")
	s.waitStatus("probe", regexp.MustCompile(`^down \d+ seconds$`))
	for _, d := range []string{".pop3d", ".pop3d/log"} {
		if got := s.svstat(d); got != s.scan+"/"+d+": supervise not running\n" {
			t.Errorf("after a rescan, svstat %s = %q, want supervise not running", d, got)
		}
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(popPort), time.Second); err == nil {
		c.Close()
		t.Errorf("pop3d port %d accepts connections after the service was removed", popPort)
	}
	for _, d := range []string{"smtpd", "smtpd/log", "qmail/log"} {
		s.waitStatus(d, upRE)
	}
	s.phase("pop3d removed, rescan seen")

	// # mlog query --since <start> --count 'info msg' /var/log/qmail
	since := s.start.UTC().Format(time.RFC3339Nano)
	out := s.sh("mlog query --since " + since + " --count 'info msg' " + qmail)
	if want := strconv.Itoa(mails+1) + "\n"; out != want {
		t.Errorf("mlog query --count 'info msg' = %q, want %q", out, want)
	}
	out = s.sh("mlog query --since " + since + " 'info msg' " + qmail)
	for i, qp := range qps {
		if !strings.Contains(out, fmt.Sprintf(" qp %d uid ", qp)) {
			t.Errorf("mlog query did not find mail %d (qp %d) in:\n%s", i, qp, out)
		}
	}
	if out := s.sh("mlog query --since -1s --count 'info msg' " + qmail + " || true"); out != "0\n" && out != "" {
		t.Errorf("mlog query --since -1s --count = %q, want no match", out)
	}

	// tai64nlocal: local times, byte for byte as daemontools'.
	s.checkTai64nlocal(smtpd + "/current")
	s.phase("query and tai64nlocal")

	if b, _ := os.ReadFile(s.base + "/svscan.err"); len(bytes.TrimSpace(b)) != 0 {
		t.Errorf("svscan wrote to stderr:\n%s", b)
	}
}

// phase logs how long the story has run.
func (s *story) phase(what string) {
	s.t.Logf("%5.1fs %s", time.Since(s.start).Seconds(), what)
}

// upRE matches svstat's text for a running service.
var upRE = regexp.MustCompile(`^up \(pid \d+\) \d+ seconds$`)

// moduleRoot is the repository's top directory.
func moduleRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	root, err := filepath.Abs(filepath.Join(filepath.Dir(file), "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// build puts our binaries into s.bin as make build does, plus qmail-sim.
func (s *story) build() {
	t := s.t
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	cmd := exec.Command(goTool, "build", "-o", s.bin+"/",
		"./cmd/mlog", "./cmd/mlog-tools", "./cmd/multilog", "./cmd/supervise", "./examples/qmail/cmd/qmail-sim")
	cmd.Dir = moduleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, n := range names {
		if err := os.Symlink("mlog-tools", s.bin+"/"+n); err != nil {
			t.Fatal(err)
		}
	}
}

func writeScript(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0755); err != nil {
		t.Fatal(err)
	}
}

// install copies examples/qmail's service directories into
// base/var/qmail/services, pointing their paths into base and bin and their
// ports at the given ones. As root the accounts become nobody; otherwise
// setuidgid and tcpserver's -u/-g, which need root, are dropped.
func (s *story) install(smtpPort, popPort int) {
	t := s.t
	root := os.Getuid() == 0
	account := ""
	s.uid = os.Getuid()
	gid := os.Getgid()
	if root {
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("as root the story runs its loggers as nobody: %v", err)
		}
		s.uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		account = "nobody"
		// t.TempDir's parents are 0700: let nobody reach bin and var/log.
		for d := s.base; d != "/" && strings.HasPrefix(d, os.TempDir()+"/"); d = filepath.Dir(d) {
			os.Chmod(d, 0755)
		}
	}
	setuidgid := regexp.MustCompile(`setuidgid \w+ `)
	replace := func(text, path string, pairs ...string) string {
		for i := 0; i < len(pairs); i += 2 {
			if !strings.Contains(text, pairs[i]) {
				t.Fatalf("examples/qmail/%s no longer contains %q", path, pairs[i])
			}
			text = strings.ReplaceAll(text, pairs[i], pairs[i+1])
		}
		return text
	}
	examples := moduleRoot(t) + "/examples/qmail"
	// qmail-sim's queue: smtpd (as qmaild) puts mail there, qmail takes it.
	queue := s.base + "/var/qmail/queue-sim"
	if err := os.MkdirAll(queue, 0755); err != nil {
		t.Fatal(err)
	}
	if root {
		if err := os.Chown(queue, s.uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"qmail", "smtpd", "pop3d"} {
		for _, path := range []string{name + "/run", name + "/log/run"} {
			b, err := os.ReadFile(examples + "/" + path)
			if err != nil {
				t.Fatal(err)
			}
			text := string(b)
			if strings.HasSuffix(path, "log/run") {
				text = replace(text, path, " /var/log/", " "+s.logs+"/")
				if !setuidgid.MatchString(text) {
					t.Fatalf("examples/qmail/%s does not run setuidgid", path)
				}
				if root {
					text = setuidgid.ReplaceAllString(text, "setuidgid "+account+" ")
				} else {
					text = setuidgid.ReplaceAllString(text, "")
				}
			} else {
				text = replace(text, path, " /var/qmail/bin/qmail-sim ", " "+s.bin+"/qmail-sim ")
				if name != "pop3d" {
					text = replace(text, path, " /var/qmail/queue-sim", " "+queue)
				}
			}
			switch {
			case path == "smtpd/run" && root:
				text = replace(text, path, "id -u qmaild", "id -u nobody", "id -g qmaild", "id -g nobody")
			case path == "smtpd/run":
				text = replace(text, path, "id -u qmaild", "id -u", "id -g qmaild", "id -g", " -u $QMAILDUID -g $NOFILESGID ", " ")
			}
			switch path {
			case "smtpd/run":
				text = replace(text, path, " 0 smtp ", " 127.0.0.1 "+strconv.Itoa(smtpPort)+" ")
			case "pop3d/run":
				text = replace(text, path, " 0 pop3 ", " 127.0.0.1 "+strconv.Itoa(popPort)+" ")
			}
			writeScript(t, s.services+"/"+path, text)
		}
		// # mkdir /var/log/qmail; chown qmaill /var/log/qmail
		dir := s.logs + "/" + name
		if err := os.MkdirAll(dir, 0755); err != nil {
			t.Fatal(err)
		}
		if root {
			if err := os.Chown(dir, s.uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(s.scan, 0755); err != nil {
		t.Fatal(err)
	}
}

// startSvscan starts our svscan on the scan directory, in a process group
// of its own, and arranges for everything to be stopped at the end.
func (s *story) startSvscan() {
	t := s.t
	errf, err := os.Create(s.base + "/svscan.err")
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	cmd := exec.Command(s.bin+"/svscan", s.scan)
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = errf, errf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// As one stops svscan by hand: svscan first (it would restart the
		// supervise processes), then svc -dx on services, then on logs so
		// they take their last lines.
		cmd.Process.Kill()
		cmd.Wait()
		var svcs, logs []string
		entries, _ := os.ReadDir(s.scan)
		for _, e := range entries {
			dir := s.scan + "/" + e.Name()
			svcs = append(svcs, dir)
			logs = append(logs, dir+"/log")
		}
		for _, dirs := range [][]string{svcs, logs} {
			for _, d := range dirs {
				if _, err := os.Stat(d + "/supervise/control"); err == nil {
					exec.Command(s.bin+"/svc", "-dx", d).Run()
				}
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for _, d := range append(svcs, logs...) {
			for time.Now().Before(deadline) && exec.Command(s.bin+"/svok", d).Run() == nil {
				time.Sleep(20 * time.Millisecond)
			}
		}
		// Whatever is left of the tree (nothing, if all went well).
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
}

// sh runs a command line as the article's shell session would, with our
// programs first on PATH, and returns its standard output. A failure is
// fatal.
func (s *story) sh(line string) string {
	t := s.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", line)
	cmd.Env = s.env
	cmd.Dir = s.base
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("$ %s: %v\nstdout: %s\nstderr: %s", line, err, stdout.Bytes(), stderr.Bytes())
	}
	if stderr.Len() != 0 {
		t.Errorf("$ %s: stderr: %s", line, stderr.Bytes())
	}
	return stdout.String()
}

// svstat returns our svstat's output for scan/dir.
func (s *story) svstat(dir string) string {
	return s.sh("svstat " + s.scan + "/" + dir)
}

// waitFunc polls ok until it holds, failing after two minutes (a bound
// that only catches a hang, far above what a loaded machine takes).
func (s *story) waitFunc(what string, ok func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitStatus waits until svstat scan/dir prints "scan/dir: " and a text
// matching re.
func (s *story) waitStatus(dir string, re *regexp.Regexp) {
	s.t.Helper()
	prefix := s.scan + "/" + dir + ": "
	var got string
	deadline := time.Now().Add(2 * time.Minute) // a hang detector, as in waitFunc
	for {
		got = s.svstat(dir)
		if rest, ok := strings.CutPrefix(got, prefix); ok && strings.HasSuffix(rest, "\n") && re.MatchString(strings.TrimSuffix(rest, "\n")) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("svstat %s = %q, want %s%s", dir, got, prefix, re)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sameSvstat compares our svstat with Debian's on the same directories:
// both read the same supervise/status, so the bytes must agree (a second
// may tick between the two runs, hence the retries).
func (s *story) sameSvstat(dirs ...string) {
	s.t.Helper()
	args := make([]string, len(dirs))
	for i, d := range dirs {
		args[i] = s.scan + "/" + d
	}
	var ours, theirs []byte
	for try := 0; try < 5; try++ {
		ours, _ = exec.Command(s.bin+"/svstat", args...).CombinedOutput()
		theirs, _ = exec.Command("/usr/bin/svstat", args...).CombinedOutput()
		if bytes.Equal(ours, theirs) {
			return
		}
	}
	s.t.Errorf("svstat %s:\nours:       %q\ndaemontools: %q", strings.Join(dirs, " "), ours, theirs)
}

// logLine is one line of a logdir, its stamp decoded.
type logLine struct {
	at   time.Time
	text string
}

// lines reads dir/current, checking that every line carries a TAI64N stamp
// from this test's run, in non-decreasing order.
func (s *story) lines(dir string) []logLine {
	t := s.t
	t.Helper()
	b, err := os.ReadFile(dir + "/current")
	if err != nil {
		t.Fatal(err)
	}
	var ls []logLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		st, n, err := tai64.Parse(line)
		if err != nil || n != tai64.LabelLen || len(line) <= n || line[n] != ' ' {
			t.Fatalf("%s/current: line without a TAI64N stamp: %q", dir, line)
		}
		at := st.Time()
		if at.Before(s.start.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("%s/current: stamp %v outside the test's run (%v..now): %q", dir, at, s.start, line)
		}
		if len(ls) > 0 && at.Before(ls[len(ls)-1].at) {
			t.Errorf("%s/current: stamp goes backwards: %q", dir, line)
		}
		ls = append(ls, logLine{at, string(line[n+1:])})
	}
	return ls
}

// waitLine waits until a line of dir/current reads text.
func (s *story) waitLine(dir, text string) {
	s.t.Helper()
	s.waitFunc(fmt.Sprintf("%q in %s", text, dir), func() bool {
		if _, err := os.Stat(dir + "/current"); err != nil {
			return false
		}
		for _, l := range s.lines(dir) {
			if l.text == text {
				return true
			}
		}
		return false
	})
}

var qpRE = regexp.MustCompile(`<-  250 ok \d+ qp (\d+)\r?\n`)

// sendMails sends n mails with swaks, numbered from first, four at a time,
// and returns each one's qp from qmail-smtpd's "250 ok" reply.
func (s *story) sendMails(port, first, n int) []int {
	t := s.t
	qps := make([]int, n)
	errs := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			k := first + i
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, "swaks", "--server", "127.0.0.1", "--port", strconv.Itoa(port),
				"--helo", "client.example.org",
				"--from", fmt.Sprintf("sender%02d@example.org", k),
				"--to", fmt.Sprintf("rcpt%02d@example.org", k),
				"--header", fmt.Sprintf("Subject: mail %d of the qmail story", k),
				"--body", fmt.Sprintf("Mail %d.\n.leading dot\n", k)).CombinedOutput()
			m := qpRE.FindSubmatch(out)
			if err != nil || m == nil {
				errs[i] = fmt.Sprintf("swaks mail %d: %v\n%s", k, err, out)
				return
			}
			qps[i], _ = strconv.Atoi(string(m[1]))
		})
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Fatal(e)
		}
	}
	return qps
}

// checkSession waits for mail k's session, qp, in the smtpd log and checks
// its lines: tcpserver's, then qmail-send's block, then tcpserver's end.
func (s *story) checkSession(port, k, qp int) {
	t := s.t
	t.Helper()
	// smtpd's log holds tcpserver's lines for the session: qmail-smtpd
	// itself logs nothing.
	smtpd := s.logs + "/smtpd"
	q := strconv.Itoa(qp)
	end := "tcpserver: end " + q + " status 0"
	s.waitLine(smtpd, end)
	s.inOrder(smtpd, fmt.Sprintf("mail %d (qp %d)", k, qp), []*regexp.Regexp{
		regexp.MustCompile(`^tcpserver: pid ` + q + ` from 127\.0\.0\.1$`),
		regexp.MustCompile(`^tcpserver: ok ` + q + ` 0:127\.0\.0\.1:` + strconv.Itoa(port) + ` :127\.0\.0\.1::\d+$`),
		regexp.MustCompile(`^` + regexp.QuoteMeta(end) + `$`),
	})
	// qmail's log (qmail-send) holds the message: its number M is its
	// queue file's, its qp the smtpd's; delivered once, or deferred and
	// retried, or failed, then ended.
	qmail := s.logs + "/qmail"
	info := regexp.MustCompile(fmt.Sprintf(`^info msg (\d+): bytes \d+ from <sender%02d@example\.org> qp %s uid \d+$`, k, q))
	var msg string
	s.waitFunc(fmt.Sprintf("mail %d (qp %d) in %s", k, qp, qmail), func() bool {
		msg = ""
		for _, l := range s.lines(qmail) {
			if m := info.FindStringSubmatch(l.text); m != nil {
				msg = m[1]
			}
			if msg != "" && l.text == "end msg "+msg {
				return true
			}
		}
		return false
	})
	s.inOrder(qmail, fmt.Sprintf("mail %d (msg %s)", k, msg), []*regexp.Regexp{
		regexp.MustCompile(`^new msg ` + msg + `$`),
		info,
		regexp.MustCompile(fmt.Sprintf(`^starting delivery (\d+): msg %s to (local|remote) rcpt%02d@example\.org$`, msg, k)),
		regexp.MustCompile(`^delivery \d+: (success|deferral|failure): \S+$`),
		regexp.MustCompile(`^end msg ` + msg + `$`),
	})
}

// inOrder checks that dir's current has lines matching want, in that
// order (other lines between them).
func (s *story) inOrder(dir, what string, want []*regexp.Regexp) {
	t := s.t
	t.Helper()
	ls := s.lines(dir)
	i := 0
	for _, l := range ls {
		if i < len(want) && want[i].MatchString(l.text) {
			i++
		}
	}
	if i < len(want) {
		var b strings.Builder
		for _, l := range ls {
			b.WriteString(l.text + "\n")
		}
		t.Fatalf("%s: no line matching %s after the earlier ones in %s/current:\n%s", what, want[i], dir, b.String())
	}
}

// checkPOP3 logs in through tcpserver and qmail-sim pop3d and looks for
// the session in the pop3d log.
func (s *story) checkPOP3(port int) {
	t := s.t
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	read := func() string {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("pop3: %v", err)
		}
		return l
	}
	banner := read()
	m := regexp.MustCompile(`^\+OK <(\d+)\.\d+@[^>]+>\r\n$`).FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("pop3 banner = %q", banner)
	}
	for _, x := range []struct{ send, want string }{
		{"STAT", "-ERR authorization first\r\n"},
		{"USER alice", "+OK \r\n"},
		{"PASS secret", "+OK \r\n"},
		{"STAT", "+OK 0 0\r\n"},
		{"QUIT", "+OK \r\n"},
	} {
		fmt.Fprintf(c, "%s\r\n", x.send)
		if got := read(); got != x.want {
			t.Errorf("pop3 %s: got %q, want %q", x.send, got, x.want)
		}
	}
	dir := s.logs + "/pop3d"
	s.waitLine(dir, "tcpserver: end "+m[1]+" status 0")
	var got []string
	for _, l := range s.lines(dir) {
		if strings.Contains(l.text, " "+m[1]+" ") || strings.HasPrefix(l.text, "pop3d: ") {
			got = append(got, l.text)
		}
	}
	if len(got) != 5 || got[0] != "tcpserver: pid "+m[1]+" from 127.0.0.1" ||
		!strings.HasPrefix(got[1], "tcpserver: ok "+m[1]+" 0:127.0.0.1:"+strconv.Itoa(port)+" :127.0.0.1::") ||
		got[2] != "pop3d: login alice from 127.0.0.1" || got[3] != "pop3d: logout alice" ||
		got[4] != "tcpserver: end "+m[1]+" status 0" {
		t.Errorf("pop3d log of the session:\n%s", strings.Join(got, "\n"))
	}
}

var localRE = regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}) (.*)$`)

// checkTai64nlocal runs the logdir's current through our tai64nlocal and
// daemontools', and checks the format and the times of ours.
func (s *story) checkTai64nlocal(current string) {
	t := s.t
	in, err := os.ReadFile(current)
	if err != nil {
		t.Fatal(err)
	}
	run := func(prog string) []byte {
		cmd := exec.Command(prog)
		cmd.Env = s.env
		cmd.Stdin = bytes.NewReader(in)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", prog, err)
		}
		return out
	}
	ours := run(s.bin + "/tai64nlocal")
	theirs := run("/usr/bin/tai64nlocal")
	if !bytes.Equal(ours, theirs) {
		t.Errorf("tai64nlocal differs from daemontools':\nours:\n%s\ndaemontools:\n%s", ours, theirs)
	}
	stamped := strings.Split(strings.TrimSuffix(string(in), "\n"), "\n")
	local := strings.Split(strings.TrimSuffix(string(ours), "\n"), "\n")
	if len(local) != len(stamped) {
		t.Fatalf("tai64nlocal: %d lines in, %d out", len(stamped), len(local))
	}
	for i, l := range local {
		m := localRE.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("tai64nlocal line %q, want YYYY-MM-DD HH:MM:SS.NNNNNNNNN text", l)
			continue
		}
		if m[2] != stamped[i][tai64.LabelLen+1:] {
			t.Errorf("tai64nlocal changed the text: %q from %q", l, stamped[i])
		}
		at, err := time.ParseInLocation("2006-01-02 15:04:05.000000000", m[1], time.Local)
		st, _, _ := tai64.Parse([]byte(stamped[i]))
		if err != nil || !at.Equal(st.Time()) {
			t.Errorf("tai64nlocal %q: %v, want %v (%v)", l, at, st.Time().Local(), err)
		}
	}
}

// TestHandOverFromDaemontools is README's "Migrating a running /service
// tree": a service logging steadily through multilog under Debian's
// svscan is handed over to ours (stop Debian's svscan, start ours over the
// same tree, svc -dx each service and its log) and every line the service
// wrote arrives in the logdir exactly once, across both svscans, both
// supervise and both multilog.
func TestHandOverFromDaemontools(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every binary and runs for about 15 s")
	}
	for _, p := range []string{"/usr/bin/svscan", "/usr/bin/supervise", "/usr/bin/svc", "/usr/bin/multilog"} {
		testkit.NeedPeer(t, p, "daemontools")
	}
	s := &story{t: t, start: time.Now(), base: t.TempDir()}
	s.bin = s.base + "/bin"
	s.scan = s.base + "/service"
	s.env = append(os.Environ(), "PATH="+s.bin+":/usr/bin:/bin")
	debianEnv := append(os.Environ(), "PATH=/usr/bin:/bin")
	s.build()
	s.phase("built")

	// The service numbers its lines; each run of it writes "PID N" for
	// N = 1, 2, ... and, when supervise stops it (TERM, between two
	// lines: sh runs a trap after the command at hand), leaves its last N
	// in last.PID. So the lines it wrote are known exactly.
	svc := s.scan + "/a"
	writeScript(t, svc+"/run", "#!/bin/sh\nn=0\ntrap 'echo $n >last.$$; exit' TERM\n"+
		"while :; do n=$((n+1)); echo \"$$ $n\"; sleep 0.01; done\n")
	// multilog from PATH: Debian's under Debian's svscan, ours under ours.
	writeScript(t, svc+"/log/run", "#!/bin/sh\nexec multilog ./main\n")

	debian, debianErr := s.startScan("/usr/bin/svscan", debianEnv, "debian")
	count := func(f func(pid string) bool) int {
		n := 0
		for _, l := range s.handoverLines(svc + "/log/main") {
			if f(l[0]) {
				n++
			}
		}
		return n
	}
	s.waitFunc("lines through Debian's multilog", func() bool { return count(func(string) bool { return true }) >= 50 })
	s.phase("logging under Debian's svscan")

	// Step 1: stop Debian's svscan alone; its supervise processes, the
	// service and multilog keep running on the pipe it made.
	debian.Process.Signal(syscall.SIGTERM)
	debian.Wait()

	// Step 2: our svscan over the same tree. It notes each service once and
	// starts nothing while Debian's supervise holds the lock.
	ours, oursErr := s.startScan(s.bin+"/svscan", s.env, "ours")
	notes := func() string { b, _ := os.ReadFile(oursErr); return string(b) }
	s.waitFunc("our svscan's notes", func() bool {
		n := notes()
		return strings.Contains(n, "a is supervised by pid") && strings.Contains(n, "a/log is supervised by pid")
	})
	before := count(func(string) bool { return true })
	s.waitFunc("lines still flowing beside our svscan", func() bool { return count(func(string) bool { return true }) > before+20 })
	s.phase("our svscan waits")

	// Step 3: hand over, the log first: Debian's supervise stops its
	// multilog and exits, and ours starts one at its next scan, on the
	// same pipe, which holds what the old multilog had not read; the old
	// service goes on writing into it meanwhile. (With a new pipe, as
	// daemontools' svscan makes, those lines would be lost with the old
	// pipe when the old service stops.) Then the service.
	s.run("/usr/bin/svc", "-dx", svc+"/log")
	s.waitFunc("our multilog", func() bool { return s.supervisedByUs(svc + "/log") })
	before = count(func(string) bool { return true })
	s.waitFunc("the old service's lines through our multilog", func() bool { return count(func(string) bool { return true }) > before+20 })
	s.run("/usr/bin/svc", "-dx", svc)
	oldPids := map[string]bool{}
	for _, l := range s.handoverLines(svc + "/log/main") {
		oldPids[l[0]] = true
	}
	s.waitFunc("our supervise running the service", func() bool { return s.supervisedByUs(svc) })
	s.waitFunc("lines from the new run of the service", func() bool { return count(func(p string) bool { return !oldPids[p] }) >= 50 })
	s.phase("handed over")

	// Stop as README says one stops svscan: our svscan, then the service;
	// the log's supervise exits once multilog has read the pipe to its end
	// (svc -x: no TERM that could leave lines in the pipe).
	s.run(s.bin+"/svc", "-x", svc+"/log")
	ours.Process.Signal(syscall.SIGTERM)
	ours.Wait()
	s.run(s.bin+"/svc", "-dx", svc)
	s.waitFunc("the log to read the pipe to its end", func() bool {
		return exec.Command(s.bin+"/svok", svc).Run() != nil && exec.Command(s.bin+"/svok", svc+"/log").Run() != nil
	})

	// Every line once, each run's lines 1..last in order.
	got := map[string][]int{}
	for _, l := range s.handoverLines(svc + "/log/main") {
		n, err := strconv.Atoi(l[1])
		if err != nil {
			t.Fatalf("bad line %q", l)
		}
		got[l[0]] = append(got[l[0]], n)
	}
	if len(got) < 2 {
		t.Errorf("lines from %d runs of the service, want the old one and ours", len(got))
	}
	for pid, ns := range got {
		last, err := testkit.ReadInt(svc + "/last." + pid)
		if errors.Is(err, fs.ErrNotExist) {
			t.Errorf("run %s: lines arrived but it did not stop by TERM: %v", pid, err)
			continue
		}
		ok := len(ns) == last
		for i := 0; ok && i < len(ns); i++ {
			ok = ns[i] == i+1
		}
		if !ok {
			t.Errorf("run %s wrote lines 1..%d; the logdir has %d of them: %s", pid, last, len(ns), summary(ns))
		}
	}
	for _, f := range []string{debianErr, oursErr} {
		if b, _ := os.ReadFile(f); bytes.Contains(b, []byte("unable to acquire")) {
			t.Errorf("%s: %s", filepath.Base(f), b)
		}
	}
	n := notes()
	if strings.Count(n, "\n") != 2 {
		t.Errorf("our svscan said, want one note for a and one for a/log:\n%s", n)
	}
}

// summary describes a run's line numbers where they are not 1, 2, ...
func summary(ns []int) string {
	var b strings.Builder
	for i, n := range ns {
		if n != i+1 {
			fmt.Fprintf(&b, "at %d: %d; ", i, n)
			if b.Len() > 200 {
				break
			}
		}
	}
	return b.String()
}

// startScan starts an svscan over s.scan in a process group of its own,
// with its output in base/NAME.err; the cleanup kills the group, which
// holds the supervise processes and services it started.
func (s *story) startScan(prog string, env []string, name string) (*exec.Cmd, string) {
	t := s.t
	path := s.base + "/" + name + ".err"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := testkit.GroupCommand(context.Background(), prog, s.scan)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		testkit.KillGroup(cmd.Process.Pid)
		cmd.Wait()
	})
	return cmd, path
}

// run runs a program, failing the test if it fails.
func (s *story) run(prog string, args ...string) {
	s.t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = s.env
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, out)
	}
}

// supervisedByUs reports whether dir's service is up under our supervise:
// the parent of the pid svstat shows is our binary.
func (s *story) supervisedByUs(dir string) bool {
	cmd := exec.Command(s.bin+"/svstat", dir)
	out, _ := cmd.Output()
	_, rest, ok := strings.Cut(string(out), ": up (pid ")
	pid, _, _ := strings.Cut(rest, ")")
	if !ok {
		return false
	}
	stat, _ := os.ReadFile("/proc/" + pid + "/stat")
	_, after, _ := bytes.Cut(stat, []byte(") "))
	f := strings.Fields(string(after))
	if len(f) < 2 {
		return false
	}
	exe, _ := os.Readlink("/proc/" + f[1] + "/exe")
	return exe == s.bin+"/supervise"
}

// handoverLines returns the logdir's lines as [pid, n], archives first in
// the order of their names (their TAI64N stamps), then current.
func (s *story) handoverLines(dir string) [][2]string {
	archives, _ := filepath.Glob(dir + "/@*.[su]")
	sort.Strings(archives)
	var out [][2]string
	for _, f := range append(archives, dir+"/current") {
		b, _ := os.ReadFile(f)
		for _, l := range strings.Split(string(b), "\n") {
			if pid, n, ok := strings.Cut(l, " "); ok {
				out = append(out, [2]string{pid, n})
			}
		}
	}
	return out
}

// TestInstallUninstall is README's Install: make install PREFIX= puts the
// binaries (multilog and supervise are binaries of their own), one link
// per other daemontools name and the man pages under PREFIX; make
// uninstall PREFIX= takes them away again and leaves what is not ours
// (here daemontools' svok put in place of our link, and a file of
// someone else's). The PREFIX starts with an earlier install's layout, in
// which supervise was a link to mlog-tools: installing over it replaces
// the link, not the binary it points to.
func TestInstallUninstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every binary")
	}
	testkit.NeedPeer(t, "make", "make")
	prefix := t.TempDir() + "/usr"
	root := moduleRoot(t)
	mk := func(target string) string {
		cmd := exec.Command("make", "-s", target, "PREFIX="+prefix)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
		return string(out)
	}
	os.MkdirAll(prefix+"/bin", 0755)
	os.Symlink("mlog-tools", prefix+"/bin/supervise")
	mk("install")
	for _, f := range []string{"bin/mlog", "bin/mlog-tools", "bin/multilog", "bin/supervise", "bin/svscan", "bin/tai64nlocal",
		"share/man/man8/multilog.8", "share/man/man8/mlog.8", "share/man/man8/mlog-query.8", "share/man/man8/mlog-wait.8"} {
		if _, err := os.Stat(filepath.Join(prefix, f)); err != nil {
			t.Errorf("make install: %v", err)
		}
	}
	if l, _ := os.Readlink(prefix + "/bin/svc"); l != "mlog-tools" {
		t.Errorf("bin/svc links to %q, want mlog-tools", l)
	}
	for _, name := range []string{"multilog", "supervise", "mlog-tools"} {
		fi, err := os.Lstat(prefix + "/bin/" + name)
		if err != nil {
			t.Errorf("make install: %v", err)
			continue
		}
		if !fi.Mode().IsRegular() {
			t.Errorf("bin/%s is a %v, want a binary of its own", name, fi.Mode().Type())
			continue
		}
		built, _ := os.ReadFile(filepath.Join(root, "bin", name))
		installed, err := os.ReadFile(prefix + "/bin/" + name)
		if err != nil || !bytes.Equal(built, installed) {
			t.Errorf("bin/%s is not the one make build made (%v)", name, err)
		}
	}
	// Not ours: must stay.
	os.Remove(prefix + "/bin/svok")
	os.WriteFile(prefix+"/bin/svok", []byte("#!/bin/sh\n# daemontools' svok\n"), 0755)
	os.WriteFile(prefix+"/share/man/man8/svok.8", []byte(".TH svok 8\n"), 0644)
	os.WriteFile(prefix+"/bin/other", []byte("x"), 0755)
	out := mk("uninstall")
	var left []string
	filepath.Walk(prefix, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			left = append(left, strings.TrimPrefix(path, prefix+"/"))
		}
		return nil
	})
	if strings.Join(left, " ") != "bin/other bin/svok share/man/man8/svok.8" {
		t.Errorf("after make uninstall: %q, want only what was not ours\n%s", left, out)
	}
}
