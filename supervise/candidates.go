package supervise

// Candidates returns the file names that djb's pathexec_run tries, in
// order, to run program with environment env: the name itself if it
// contains a slash, else each entry of PATH (default "/bin:/usr/bin"; an
// empty entry means the current directory) followed by the name. A caller
// that must fork before it execs (fghack) tries them in turn as [Exec]
// does: on past ENOENT, EACCES, EPERM and EISDIR, stop at any other error.
func Candidates(env []string, program string) []string { return searchPath(env, program) }
