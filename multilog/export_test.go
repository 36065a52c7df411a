package multilog

// RewriteMax is the most input a kill -9 can make the next multilog write a
// second time: the one chunk teed from stdin and written, but not yet taken
// out of the pipe (peek.go), with the held head of its last line.
const RewriteMax = readSize + maxHead
