package qmail

// The tests compare every sample of a cumulative run with one run's.
func init() { keepSamples = true }
