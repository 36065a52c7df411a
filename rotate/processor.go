package rotate

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// ProcessorError reports a processor that exited non-zero or was killed.
// multilog waits and runs it again.
type ProcessorError struct {
	Dir     string
	Crashed bool
}

func (e *ProcessorError) Error() string {
	if e.Crashed {
		return "processor crashed in " + e.Dir
	}
	return "processor failed in " + e.Dir
}

// rotateProcessor is multilog's fullcurrent with a processor, step for
// step: current becomes previous, the processor reads it and writes
// processed (and newstate from state), and processed becomes the archive.
// Input waits meanwhile, as in daemontools; a failing processor is run
// again every 5 seconds until it succeeds.
func (d *Dir) rotateProcessor(fresh bool) {
	d.retry(func() error {
		if err := d.current.Sync(); err != nil {
			return d.syncErr("current", unwrapErrno(err))
		}
		return nil
	})
	d.current.Close()
	d.retry(func() error {
		if err := d.rename("current", "previous"); err != nil {
			return d.renameErr("current", "previous", unwrapErrno(err))
		}
		return nil
	})
	d.newCurrent()
	d.retry(func() error {
		if err := d.root.Chmod("previous", 0744); err != nil {
			return d.pathErr("set mode of", "previous", unwrapErrno(err))
		}
		return nil
	})
	d.retry(d.runProcessor)
	d.retry(func() error { return d.syncFile("processed", 0744) })
	d.retry(func() error { return d.syncFile("newstate", 0) })
	d.retry(func() error {
		if err := d.root.Remove("previous"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return d.pathErr("remove", "previous", unwrapErrno(err))
		}
		return nil
	})
	d.retry(func() error {
		if err := d.rename("newstate", "state"); err != nil {
			return d.renameErr("newstate", "state", unwrapErrno(err))
		}
		return nil
	})
	d.fin.compress(d.finish("processed", 's'), fresh)
}

// syncFile fsyncs file and, if mode is not 0, sets it.
func (d *Dir) syncFile(file string, mode os.FileMode) error {
	f, err := d.root.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NONBLOCK, 0600)
	if err != nil {
		return d.pathErr("create", file, unwrapErrno(err))
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return d.syncErr(file, unwrapErrno(err))
	}
	if mode != 0 {
		if err := f.Chmod(mode); err != nil {
			return d.pathErr("set mode of", file, unwrapErrno(err))
		}
	}
	return nil
}

// runProcessor runs the processor once: /bin/sh -c in the logdir with
// previous on fd 0, processed on 1, state on 4 and newstate on 5.
func (d *Dir) runProcessor() error {
	open := func(name string, flag int) (*os.File, error) {
		f, err := d.root.OpenFile(name, flag|syscall.O_NONBLOCK, 0644)
		if err != nil {
			return nil, d.pathErr("open", name, unwrapErrno(err))
		}
		return f, nil
	}
	trunc := os.O_WRONLY | os.O_TRUNC | os.O_CREATE
	var files [4]*os.File
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	var err error
	for i, spec := range []struct {
		name string
		flag int
	}{{"previous", os.O_RDONLY}, {"processed", trunc}, {"state", os.O_RDONLY}, {"newstate", trunc}} {
		if files[i], err = open(spec.name, spec.flag); err != nil {
			return err
		}
	}
	p, err := startProcess([]string{"/bin/sh", "-c", d.cfg.Processor}, d.name,
		[]*os.File{files[0], files[1], d.cfg.Stderr, nil, files[2], files[3]}, nil)
	if err != nil {
		return &fs.PathError{Op: "run processor in", Path: d.name, Err: unwrapErrno(err)}
	}
	st, err := p.Wait()
	if err != nil {
		return &fs.PathError{Op: "wait for processor in", Path: d.name, Err: unwrapErrno(err)}
	}
	if !st.Success() {
		ws, _ := st.Sys().(syscall.WaitStatus)
		return &ProcessorError{Dir: d.name, Crashed: ws.Signaled()}
	}
	return nil
}

// startProcess runs argv in dir with files as its descriptors 0, 1, 2, ...
// (nil: closed). It uses os.StartProcess rather than os/exec, which would
// make the multilog binary, and so its resident memory, noticeably larger.
func startProcess(argv []string, dir string, files []*os.File, sys *syscall.SysProcAttr) (*os.Process, error) {
	return os.StartProcess(argv[0], argv, &os.ProcAttr{Dir: dir, Files: files, Sys: sys})
}
