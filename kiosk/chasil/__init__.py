"""C.Hasil: the numbers, their checks, the scanned sheets and the copies for every recipient."""
