package compat

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/internal/testkit"
)

// svNobody gives path and everything under it to uid and gid 65534 without
// following links, as if nobody had made them.
func svNobody(t *testing.T, path string) {
	t.Helper()
	err := filepath.Walk(path, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 65534, 65534)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// svHostile starts a test (in parallel) in which root runs our tools over
// directories nobody owns; it skips when not root. It returns the tools,
// their environment, a base directory, and the check that root's victim,
// base/root (see svVictim), is untouched.
func svHostile(t *testing.T) (tools string, env []string, base string, untouched func()) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: root runs our tools over a directory nobody owns")
	}
	t.Parallel()
	tools = svTools(t)
	env = svEnv(tools)
	base = t.TempDir()
	return tools, env, base, svVictim(t, base+"/root")
}

// svVictim makes a directory only root can enter, holding a file "victim"
// and a file named like supervise's "status" (dpkg keeps one), and returns
// a function that fails the test if either was touched or anything was
// added.
func svVictim(t *testing.T, dir string) func() {
	t.Helper()
	if err := os.Mkdir(dir, 0700); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"victim": "precious\n", "status": "Package: dpkg\nStatus: install ok installed\n"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0600); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		t.Helper()
		ents, _ := os.ReadDir(dir)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		if strings.Join(names, " ") != "status victim" {
			t.Errorf("%s holds %q, want only status and victim", dir, names)
		}
		for name, body := range files {
			p := filepath.Join(dir, name)
			b, err := os.ReadFile(p)
			fi, _ := os.Lstat(p)
			if err != nil || string(b) != body || fi == nil || fi.Mode() != 0600 {
				t.Errorf("%s: %q, %v, mode %v; want untouched", p, b, err, fi.Mode())
			}
		}
	}
}

// Root runs our supervise in service directories that nobody prepared
// with links and odd files planted in supervise/ (issue 13, item 3): no
// file outside is read, written or created; supervise replaces what it may
// (control, ok, status) and says so, or refuses to start and says why.
func TestSuperviseHostileOwner(t *testing.T) {
	tools, env, base, untouched := svHostile(t)
	rootDir := base + "/root"
	victim := rootDir + "/victim"
	nobodys := base + "/nobodys"
	os.Mkdir(nobodys, 0700)
	svNobody(t, nobodys)

	for _, tc := range []struct {
		name  string
		plant func(sup string) // sup is DIR/supervise, a directory unless plant removes it
		fatal string           // "" when supervise must run; else its message after "DIR/"
		warn  string           // a warning it must print, after "DIR/"
	}{
		{name: "status.new link", plant: func(sup string) { os.Symlink(victim, sup+"/status.new") }},
		{name: "status link", plant: func(sup string) { os.Symlink(victim, sup+"/status") }},
		{name: "status.new fifo", plant: func(sup string) { unix.Mkfifo(sup+"/status.new", 0600) }},
		{name: "control link", plant: func(sup string) { os.Symlink(victim, sup+"/control") },
			warn: "supervise/control with a named pipe: it was a symbolic link"},
		{name: "ok link", plant: func(sup string) { os.Symlink(victim, sup+"/ok") },
			warn: "supervise/ok with a named pipe: it was a symbolic link"},
		{name: "control file", plant: func(sup string) { os.WriteFile(sup+"/control", []byte("dx"), 0600) },
			warn: "supervise/control with a named pipe: it was a regular file"},
		{name: "lock link", plant: func(sup string) { os.Symlink(victim, sup+"/lock") },
			fatal: "supervise/lock: symbolic link, not followed"},
		{name: "lock fifo", plant: func(sup string) { unix.Mkfifo(sup+"/lock", 0600) },
			fatal: "supervise/lock: not a regular file"},
		{name: "supervise link to root's", plant: func(sup string) { os.Remove(sup); os.Symlink(rootDir, sup) },
			fatal: "supervise: symbolic link of another account to a directory that account does not own"},
		{name: "supervise dangling link into root's", plant: func(sup string) { os.Remove(sup); os.Symlink(rootDir+"/new", sup) },
			fatal: "supervise/lock: file does not exist"},
		{name: "supervise link to nobody's", plant: func(sup string) {
			os.Remove(sup)
			os.Mkdir(nobodys+"/x", 0700)
			os.Lchown(nobodys+"/x", 65534, 65534)
			os.Symlink(nobodys+"/x", sup)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(base, strings.ReplaceAll(tc.name, " ", "_"))
			svScript(t, dir+"/run", "exec sleep 100\n")
			os.Mkdir(dir+"/supervise", 0700)
			tc.plant(dir + "/supervise")
			svNobody(t, dir)

			if tc.fatal != "" {
				got := svExec(t, env, "", filepath.Join(tools, "supervise"), dir)
				want := svResult{"", "supervise: fatal: unable to " + map[bool]string{true: "follow ", false: "acquire "}[strings.HasPrefix(tc.fatal, "supervise:")] + dir + "/" + tc.fatal + "\n", 111}
				if got != want {
					t.Errorf("supervise = %+v, want %+v", got, want)
				}
				untouched()
				return
			}
			_, errfile := svDaemon(t, env, filepath.Join(tools, "supervise"), []string{dir}, dir)
			testkit.WaitFor(t, "up", func() bool { return svUp(dir) })
			untouched()
			stderr, _ := os.ReadFile(errfile)
			if tc.warn != "" {
				if want := "supervise: warning: replacing " + dir + "/" + tc.warn + "\n"; string(stderr) != want {
					t.Errorf("stderr %q, want %q", stderr, want)
				}
			} else if len(stderr) != 0 {
				t.Errorf("stderr %q", stderr)
			}
			for name, kind := range map[string]os.FileMode{"status": 0, "control": os.ModeNamedPipe, "ok": os.ModeNamedPipe, "lock": 0} {
				fi, err := os.Lstat(dir + "/supervise/" + name)
				if err != nil || fi.Mode().Type() != kind {
					t.Errorf("supervise/%s: %v, %v; want type %v", name, fi.Mode(), err, kind)
				}
			}
			if _, err := os.Lstat(dir + "/supervise/status.new"); !os.IsNotExist(err) {
				t.Errorf("status.new left: %v", err)
			}
			// And it obeys svc through what it made.
			if r := svExec(t, env, "", filepath.Join(tools, "svc"), "-d", dir); r != (svResult{}) {
				t.Errorf("svc -d = %+v", r)
			}
			testkit.WaitFor(t, "down", func() bool { return svDown(dir) })
		})
	}
	untouched()
}

// Root's svc, svstat and svok never write to, print or open through a
// link planted in supervise/ (there is no supervise to replace them).
func TestSvToolsHostileOwner(t *testing.T) {
	tools, env, base, untouched := svHostile(t)
	victim := base + "/root/victim"

	// control a link to a file of root's, or a regular file: svc -dx
	// (svscanboot runs it at boot over every service) writes nothing.
	link := base + "/link"
	os.MkdirAll(link+"/supervise", 0700)
	os.Symlink(victim, link+"/supervise/control")
	file := base + "/file"
	os.MkdirAll(file+"/supervise", 0700)
	os.WriteFile(file+"/supervise/control", []byte("keep\n"), 0600)
	svNobody(t, link)
	svNobody(t, file)
	got := svExec(t, env, base, filepath.Join(tools, "svc"), "-dx", "link", "file")
	want := "svc: warning: unable to control link: symbolic link, not followed\nsvc: warning: unable to control file: not a named pipe\n"
	if got.stderr != want || got.code != 0 {
		t.Errorf("svc -dx = %+v, want %q", got, want)
	}
	if b, _ := os.ReadFile(file + "/supervise/control"); string(b) != "keep\n" {
		t.Errorf("svc wrote into a regular control: %q", b)
	}

	// status a link to a file of root's: svstat does not print it.
	leak := base + "/leak"
	os.MkdirAll(leak+"/supervise", 0700)
	unix.Mkfifo(leak+"/supervise/ok", 0600)
	fd, err := unix.Open(leak+"/supervise/ok", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	os.WriteFile(base+"/root/victim18", []byte("root:$6$secretsalt:19000:0:99999:7:::\n"), 0600)
	os.Symlink(base+"/root/victim18", leak+"/supervise/status")
	svNobody(t, leak)
	if got := svExec(t, env, base, filepath.Join(tools, "svstat"), "leak"); got.stdout != "leak: unable to open supervise/status: symbolic link, not followed\n" {
		t.Errorf("svstat = %+v", got)
	}
	os.Remove(base + "/root/victim18")

	// ok a link to something that must not be opened (a FIFO of root's
	// without a reader stands for a device): svok says nothing runs.
	unix.Mkfifo(base+"/root/fifo", 0600)
	dev := base + "/dev"
	os.MkdirAll(dev+"/supervise", 0700)
	os.Symlink(base+"/root/fifo", dev+"/supervise/ok")
	svNobody(t, dev)
	if got := svExec(t, env, base, filepath.Join(tools, "svok"), "dev"); got.code != 111 || got.stderr != "svok: fatal: unable to open dev/supervise/ok: symbolic link, not followed\n" {
		t.Errorf("svok = %+v", got)
	}
	os.Remove(base + "/root/fifo")
	untouched()
}

// supervise/ may be a symbolic link to a directory that does not exist
// yet (Debian's read-only service trees point it into /run): supervise
// creates the target, as Debian's does; with the target's parent missing
// too, both refuse with the same words (issue 14, item 8).
func TestSuperviseDanglingSuperviseLink(t *testing.T) {
	bothSupervises(t, func(t *testing.T, who, prog, tools, base string, env []string) {
		dir := filepath.Join(base, who, "svc")
		run := filepath.Join(base, who, "run")
		svScript(t, dir+"/run", "exec sleep 100\n")
		os.Mkdir(run, 0755)
		os.Symlink(run+"/svc/supervise", dir+"/supervise") // run/svc is missing too
		got := svExec(t, env, "", prog, dir)
		want := svResult{"", "supervise: fatal: unable to acquire " + dir + "/supervise/lock: file does not exist\n", 111}
		if got != want {
			t.Errorf("%s supervise, target's parent missing = %+v, want %+v", who, got, want)
		}

		os.Mkdir(run+"/svc", 0755)
		svDaemon(t, env, prog, []string{dir}, dir)
		testkit.WaitFor(t, "up", func() bool { return svUp(dir) })
		fi, err := os.Lstat(run + "/svc/supervise")
		if err != nil || fi.Mode() != os.ModeDir|0700 {
			t.Errorf("%s supervise: target %v, %v; want a directory 0700", who, fi.Mode(), err)
		}
		if fi, err := os.Lstat(dir + "/supervise"); err != nil || fi.Mode().Type() != os.ModeSymlink {
			t.Errorf("%s supervise replaced the link: %v, %v", who, fi.Mode(), err)
		}
	})
}

// supervise runs with the service directory as its working directory, as
// daemontools' does (issue 15), given an absolute or a relative name.
func TestSuperviseCwd(t *testing.T) {
	bothSupervises(t, func(t *testing.T, who, prog, tools, base string, env []string) {
		dir := filepath.Join(base, who)
		svScript(t, dir+"/run", "exec sleep 100\n")
		cmd := exec.Command(prog, who) // relative to base
		cmd.Dir, cmd.Env = base, env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			svWaitGone(t, dir)
			cmd.Process.Kill()
			cmd.Wait()
		})
		testkit.WaitFor(t, "up", func() bool { return svUp(dir) })
		cwd, err := os.Readlink("/proc/" + itoa(cmd.Process.Pid) + "/cwd")
		if err != nil || cwd != dir {
			t.Errorf("%s supervise's cwd = %q, %v; want %q", who, cwd, err, dir)
		}
		// Relative names keep working: svc -d through ./supervise.
		if r := svExec(t, env, base, filepath.Join(tools, "svc"), "-d", who); r != (svResult{}) {
			t.Errorf("svc -d = %+v", r)
		}
		testkit.WaitFor(t, "down", func() bool { return svDown(dir) })
	})
}

// After kill -9 of supervise, a new supervise does not start a second
// copy of the service (issue 13, item 12): it adopts the one running,
// says so, stops it on svc -d, and starts it again on svc -u.
func TestSuperviseAfterKill9(t *testing.T) {
	t.Parallel()
	tools := svTools(t)
	env := svEnv(tools)
	dir := filepath.Join(t.TempDir(), "svc")
	svScript(t, dir+"/run", "echo $$ >> starts\nexec sleep 100\n")

	first := exec.Command(filepath.Join(tools, "supervise"), dir)
	first.Env = env
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "up", func() bool { return svUp(dir) })
	pid := svPID(dir)
	t.Cleanup(func() { killPID(pid, syscall.SIGKILL) })
	first.Process.Kill()
	first.Wait()

	_, errfile := svDaemon(t, env, filepath.Join(tools, "supervise"), []string{dir}, dir)
	want := "supervise: warning: adopting " + dir + "/run (pid " + itoa(pid) + "), left running by an earlier supervise: not starting another\n"
	testkit.WaitFor(t, "the adoption", func() bool { b, _ := os.ReadFile(errfile); return string(b) == want })
	testkit.WaitFor(t, "supervise", func() bool { return svRunning(dir) })
	if st := svPID(dir); st != pid || !svUp(dir) {
		t.Errorf("status pid %d, want %d and up", st, pid)
	}
	// Commands are read once start-up (and any start) is over, so by the
	// time d is obeyed a second copy would have been started.
	if r := svExec(t, env, "", filepath.Join(tools, "svc"), "-d", dir); r != (svResult{}) {
		t.Errorf("svc -d = %+v", r)
	}
	testkit.WaitFor(t, "down", func() bool { return svDown(dir) })
	if b, _ := os.ReadFile(dir + "/starts"); string(b) != itoa(pid)+"\n" {
		t.Errorf("./run started %q, want once (pid %d)", b, pid)
	}
	// Gone, or a zombie its new parent has yet to reap.
	if b, err := os.ReadFile("/proc/" + itoa(pid) + "/stat"); err == nil && !strings.Contains(string(b), ") Z ") {
		t.Errorf("adopted pid %d still runs after svc -d: %s", pid, b)
	}
	svExec(t, env, "", filepath.Join(tools, "svc"), "-u", dir)
	testkit.WaitFor(t, "up again", func() bool { p := svPID(dir); return p != 0 && p != pid })
}

// bothSupervises runs check for our supervise and for Debian's (which the
// test then needs), each in a subtest named who ("ours", "debian"): prog
// is that supervise, tools the directory of our programs, base a
// directory both share, env the tools' environment. The test runs in
// parallel with others.
func bothSupervises(t *testing.T, check func(t *testing.T, who, prog, tools, base string, env []string)) {
	t.Parallel()
	tools := svTools(t)
	env := svEnv(tools)
	base := t.TempDir()
	for _, who := range []string{"ours", "debian"} {
		t.Run(who, func(t *testing.T) {
			prog := filepath.Join(tools, "supervise")
			if who == "debian" {
				prog = svReal(t, "supervise")
			}
			check(t, who, prog, tools, base, env)
		})
	}
}
