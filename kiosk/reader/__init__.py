"""Reading a scanned C.Hasil sheet (issue 18): the digit cells' classifier (``digits``) and
how one cell is normalised for it (``cell_image``). numpy and OpenCV load only when a cell is
read."""
