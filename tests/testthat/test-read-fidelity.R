# Survey exports in, nothing changed or lost on the way (issue 14). Every
# expected value is written out by hand from the small file the test
# builds, or comes from utils::read.csv() where that reader is right.

text_lines <- function(..., ext = ".csv") {
  path <- tempfile(fileext = ext)
  writeLines(c(...), path, useBytes = TRUE)
  path
}

raw_file <- function(bytes, ext = ".csv") {
  path <- tempfile(fileext = ext)
  writeBin(bytes, path)
  path
}

# Silent changes: ids -----------------------------------------------------

test_that("integer-looking text a double cannot hold stays text", {
  # 5 distinct 19-digit ids; as doubles they collapse to 1 value
  ids <- c("1234567890123456781", "1234567890123456782", "1234567890123456783",
           "1234567890123456789", "1234567890123456790")
  expect_identical(length(unique(as.numeric(ids))), 1L)
  f <- text_lines("id,x", paste0(ids, ",", 1:5))
  x <- read_survey(f)
  expect_identical(x$id, ids)
  expect_identical(x$x, 1:5)
  # 2^53 + 1 is not a double; 2^53 and 15-digit numbers are
  g <- text_lines("a,b", "9007199254740993,9007199254740992",
                  "1,123456789012345")
  y <- read_survey(g)
  expect_identical(y$a, c("9007199254740993", "1"))
  expect_identical(y$b, c(9007199254740992, 123456789012345))
  # with strict = FALSE different people are no longer "duplicated ids"
  t2 <- text_lines("id,x", paste0(rev(ids), ",", 6:10))
  z <- read_waves(c(T1 = f, T2 = t2), id = "id", strict = FALSE)
  expect_null(attr(z, "problems"))
  expect_identical(z$id, c(ids, rev(ids)))
})

test_that("read_waves() never turns an id into a number unless asked", {
  t1 <- text_lines("id,v", "007,1", "12,2")
  t2 <- text_lines("id,v", "12,3", "007,4")
  x <- read_waves(c(T1 = t1, T2 = t2), id = "id")
  expect_identical(x$id, c("007", "12", "12", "007"))
  t3 <- text_lines("id,v", "12,3", "7,4")
  expect_identical(read_waves(c(T1 = t3, T2 = t3), id = "id")$id,
                   c("12", "7", "12", "7"))
  y <- read_waves(c(T1 = t3, T2 = t3), id = "id",
                  col_types = c(id = "double"))
  expect_identical(y$id, c(12, 7, 12, 7))
})

# Silent changes: types across waves ---------------------------------------

test_that("read_waves() reconciles types from the text of every wave", {
  # T1 is an all-female wave: its column holds only "F", a logical letter
  t1 <- text_lines("id,sex,code,score", "a,F,007,1.50", "b,F,012,2")
  t2 <- text_lines("id,sex,code,score", "a,F,7,n/a", "b,M,12,3")
  x <- read_waves(c(T1 = t1, T2 = t2), id = "id")
  expect_identical(x$sex, c("F", "F", "F", "M"))
  expect_identical(x$code, c("007", "012", "7", "12"))
  expect_identical(x$score, c("1.50", "2", "n/a", "3"))
  # integer next to double widens without changing a value
  t3 <- text_lines("id,n", "a,1", "b,2")
  t4 <- text_lines("id,n", "a,2.5", "b,3000000000")
  y <- read_waves(c(T1 = t3, T2 = t4), id = "id")
  expect_identical(y$n, c(1, 2, 2.5, 3e9))
})

# Silent changes: encodings -------------------------------------------------

test_that("one invalid byte does not turn a UTF-8 file into Latin-1", {
  cafe <- "caf\u00e9"
  bad <- as.raw(c(0x62, 0x61, 0x64, 0xe9))               # "bad" + Latin-1 e
  rows <- lapply(1:40, function(i) charToRaw(sprintf("%d,%s\n", i, cafe)))
  rows[[17]] <- c(charToRaw("17,"), bad, charToRaw("\n"))
  f <- raw_file(c(charToRaw("id,name\n"), unlist(rows)))
  w <- expect_warning(x <- read_survey(f),
                      class = "panelattrition_encoding_warning")
  expect_identical(w$count, 1)
  expect_identical(w$lines, 18)
  expect_match(conditionMessage(w), "line 18", fixed = TRUE)
  expect_identical(attr(x, "encoding"), "UTF-8")
  expect_identical(x$name[-17], rep(cafe, 39))
  expect_identical(x$name[17], "bad<e9>")
  # Declared UTF-8 and lenient: the problems table holds escaped text that
  # write.csv() can write
  expect_warning(y <- read_survey(f, encoding = "UTF-8", strict = FALSE),
                 class = "panelattrition_csv_warning")
  p <- attr(y, "problems")
  expect_identical(p$actual, "bad<e9>")
  expect_identical(p$line, 18)
  out <- tempfile(fileext = ".csv")
  expect_silent(utils::write.csv(p, out, row.names = FALSE))
  expect_identical(utils::read.csv(out)$actual, "bad<e9>")
})

test_that("Windows-1252 exports keep curly quotes, euro and oe", {
  # "l'œuvre" with a right single quote, "5 €", “quoted”, a dash
  bytes <- c(charToRaw("id,text\n1,l"), as.raw(c(0x92, 0x9c)),
             charToRaw("uvre\n2,5 "), as.raw(0x80), charToRaw("\n3,"),
             as.raw(0x93), charToRaw("quoted"), as.raw(0x94),
             charToRaw(" "), as.raw(0x96), charToRaw(" caf"), as.raw(0xe9),
             charToRaw("\n"))
  f <- raw_file(bytes)
  x <- read_survey(f)
  expect_identical(attr(x, "encoding"), "windows-1252")
  expect_identical(x$text, c("l\u2019\u0153uvre", "5 \u20ac",
                             "\u201cquoted\u201d \u2013 caf\u00e9"))
  # as iconv() decodes the same bytes
  expect_identical(x$text[2], iconv("5 \x80", "CP1252", "UTF-8"))
  expect_identical(read_survey(f, encoding = "cp1252")$text, x$text)
  # plain Latin-1 (no byte in 0x80-0x9F) is still called Latin-1
  g <- raw_file(c(charToRaw("id,v\n1,"), as.raw(c(0xe9, 0x74, 0xe9)),
                  charToRaw("\n")))
  expect_identical(attr(read_survey(g), "encoding"), "latin1")
  expect_identical(read_survey(g)$v, "\u00e9t\u00e9")
})

test_that("UTF-16 with a byte-order mark (Excel Unicode text) is read", {
  text <- "id\tname\tscore\r\n1\tcaf\u00e9\t2.5\r\n2\t\u0153uf\t3\r\n"
  le <- iconv(list(charToRaw(enc2utf8(text))), "UTF-8", "UTF-16LE",
              toRaw = TRUE)[[1]]
  f <- raw_file(c(as.raw(c(0xff, 0xfe)), le), ext = ".txt")
  x <- read_survey(f)
  expect_identical(attr(x, "encoding"), "UTF-16LE")
  expect_identical(attr(x, "delim"), "\t")
  expect_identical(x$id, 1:2)
  expect_identical(x$name, c("caf\u00e9", "\u0153uf"))
  expect_identical(x$score, c(2.5, 3))
  be <- iconv(list(charToRaw(enc2utf8(text))), "UTF-8", "UTF-16BE",
              toRaw = TRUE)[[1]]
  g <- raw_file(c(as.raw(c(0xfe, 0xff)), be), ext = ".txt")
  expect_identical(read_survey(g)$name, x$name)
})

test_that(".gz files are read as the file they hold", {
  plain <- text_lines("id,name,score", "1,\"Smith, J\",3.5", "2,Lee,4")
  gz <- tempfile(fileext = ".csv.gz")
  con <- gzfile(gz, "wb")
  writeLines(readLines(plain), con)
  close(con)
  x <- read_survey(gz)
  expect_identical(x$name, c("Smith, J", "Lee"))
  expect_identical(x$score, c(3.5, 4))
  expect_identical(x$id, utils::read.csv(plain)$id)
})

# Silent changes: col_types --------------------------------------------------

test_that("col_types uses the names the result shows", {
  f <- text_lines("a,a,,b", "1,2,3,4", "5,6,7,8")
  x <- read_survey(f, col_types = c(a_1 = "character", V3 = "double"))
  expect_identical(names(x), c("a", "a_1", "V3", "b"))
  expect_identical(x$a, c(1L, 5L))
  expect_identical(x$a_1, c("2", "6"))
  expect_identical(x$V3, c(3, 7))
})

# Silent row loss: header rows ---------------------------------------------

test_that("header detection only consumes rows it can prove are header rows", {
  f <- text_lines("note,x", "first,1", "\"{\"\"ImportId\"\":\"\"a\"\"}\",2",
                  "third,3")
  x <- read_survey(f)
  expect_identical(nrow(x), 3L)
  expect_identical(x$x, 1:3)
  expect_identical(attr(x, "header_lines"), 1)
  expect_null(attr(x, "labels"))
  # a Qualtrics export says which lines it set aside
  q <- read_survey(test_path("fixtures", "qualtrics.csv"))
  expect_identical(attr(q, "header_lines"), c(1, 2, 3))
  expect_identical(nrow(q), 3L)
})

test_that("a question-text row missing a field is not replaced by data", {
  f <- text_lines("id,q1,q2", "\"Id\",\"Question 1\"",
                  "\"{\"\"ImportId\"\":\"\"id\"\"}\",\"{\"\"ImportId\"\":\"\"q1\"\"}\",\"{\"\"ImportId\"\":\"\"q2\"\"}\"",
                  "1,2,3", "4,5,6")
  err <- expect_error(
    suppressWarnings(read_survey(f, header = "qualtrics", strict = FALSE)),
    class = "panelattrition_arg_error"
  )
  expect_identical(err$argument, "header")
  expect_match(conditionMessage(err), "line 2", fixed = TRUE)
  # auto: nothing is set aside, the short row is dropped and reported
  expect_warning(x <- read_survey(f, strict = FALSE),
                 class = "panelattrition_csv_warning")
  expect_identical(x$id[2:3], c("1", "4"))
  expect_identical(attr(x, "problems")$line, 2)
})

# Odd files --------------------------------------------------------------

test_that("what is not a regular file is refused at once", {
  skip_on_os("windows")
  fifo <- tempfile()
  skip_if_not(system2("mkfifo", fifo) == 0L)
  on.exit(unlink(fifo))
  err <- expect_error(read_survey(fifo),
                      class = "panelattrition_csv_file_error")
  expect_match(conditionMessage(err), "not a regular file", fixed = TRUE)
  skip_if_not(file.exists("/dev/zero"))
  expect_error(read_survey("/dev/zero"),
               class = "panelattrition_csv_file_error")
})

# Panel assembly --------------------------------------------------------------

test_that("numbered wave labels are ordered by their numbers", {
  labels <- paste0("T", c(2, 10, 1, 11, 3))
  d <- data.frame(id = rep(c("a", "b"), each = 5), wave = rep(labels, 2))
  p <- panel_data(d, "id", "wave")
  expect_identical(p$waves, paste0("T", c(1, 2, 3, 10, 11)))
  expect_identical(panel_data(transform(d, wave = sub("T", "", wave)),
                              "id", "wave")$waves,
                   c("1", "2", "3", "10", "11"))
})

test_that("wave labels without an evident order need `waves`", {
  # the labels of HSAUR3's BtheB trial
  d <- data.frame(id = rep(1:2, each = 5),
                  wave = rep(c("pre", "2m", "3m", "5m", "8m"), 2))
  err <- expect_error(panel_data(d, "id", "wave"),
                      class = "panelattrition_wave_order_error")
  expect_s3_class(err, "panelattrition_panel_error")
  expect_match(conditionMessage(err), "\"pre\", \"2m\"", fixed = TRUE)
  p <- panel_data(d, "id", "wave", waves = c("pre", "2m", "3m", "5m", "8m"))
  expect_identical(p$waves, c("pre", "2m", "3m", "5m", "8m"))
})

test_that("read_waves(strict = TRUE) takes late entries when told to", {
  t1 <- text_lines("id,v", "a,1", "b,2")
  t2 <- text_lines("id,v", "a,3", "c,4")
  expect_error(read_waves(c(T1 = t1, T2 = t2), id = "id"),
               class = "panelattrition_id_error")
  w <- expect_warning(
    x <- read_waves(c(T1 = t1, T2 = t2), id = "id", late_entries = TRUE),
    class = "panelattrition_id_warning"
  )
  expect_identical(x$id, c("a", "b", "a", "c"))
  p <- attr(x, "problems")
  expect_identical(p$problem, "absent from first wave")
  expect_identical(p$action, "kept")
  expect_identical(p$line, 3L)
  # duplicates are still an error
  t3 <- text_lines("id,v", "a,3", "a,4")
  expect_error(read_waves(c(T1 = t1, T2 = t3), id = "id", late_entries = TRUE),
               class = "panelattrition_id_error")
})

test_that("strict = FALSE reports each dropped duplicate with its line", {
  t1 <- text_lines("id,v", "a,1", "b,2", "\"multi", "line\",3", "A,4")
  w <- expect_warning(x <- read_waves(c(T1 = t1), id = "id", strict = FALSE),
                      class = "panelattrition_id_warning")
  p <- attr(x, "problems")
  expect_identical(x$v, 1:3)
  expect_identical(p$row, 4L)
  expect_identical(p$line, 6L)
  expect_identical(p$id, "A")
  expect_identical(p$action, "row dropped")
  expect_identical(nrow(x) + sum(p$action == "row dropped"), 4L)
})

# Silent row loss: lenient mode -------------------------------------------

test_that("a stray quote costs only its own record (10,001 lines)", {
  lines <- c("id,name,score", paste0(1:10000, ",n", 1:10000, ",", 1:10000))
  lines[3] <- "2,\"Bob,4"
  f <- text_lines(lines)
  w <- expect_warning(x <- read_survey(f, strict = FALSE),
                      class = "panelattrition_csv_warning")
  expect_match(conditionMessage(w), "1 row dropped", fixed = TRUE)
  expect_identical(nrow(x), 9999L)
  expect_identical(x$id, c(1L, 3:10000))
  expect_identical(x$name, paste0("n", c(1L, 3:10000)))
  p <- attr(x, "problems")
  expect_identical(p$line, 3)
  expect_identical(p$action, "row dropped")
  # nothing vanishes: kept + dropped = records = data lines of the file
  expect_identical(nrow(x) + nrow(p), 10000L)
  expect_identical(attr(x, "records"), 10000)
  # the same with several threads and a file long enough to be cut
  old <- options(panelattrition.threads = 2)
  on.exit(options(old))
  big <- c("id,name,score", paste0(1:200000, ",n", 1:200000, ",", 1:200000))
  big[100001] <- "100000,\"Bob,4"
  g <- text_lines(big)
  expect_warning(y <- read_survey(g, strict = FALSE),
                 class = "panelattrition_csv_warning")
  expect_identical(nrow(y), 199999L)
  expect_identical(attr(y, "problems")$line, 100001)
  expect_identical(y$id[99999:100000], c(99999L, 100001L))
})

test_that("a quote followed by text loses one record, not the rest", {
  f <- text_lines("id,x", "1,\"ab\"c", "2,y", "3,z")
  expect_warning(x <- read_survey(f, strict = FALSE),
                 class = "panelattrition_csv_warning")
  expect_identical(x$id, 2:3)
  expect_identical(x$x, c("y", "z"))
  expect_identical(attr(x, "problems")$line, 2)
  expect_identical(attr(x, "records"), 3)
  # a damaged record that ends with the wrong number of fields
  g <- text_lines("id,x,z", "1,\"a", "2,b,3\",4,5", "3,c,6", "4,d,7")
  expect_warning(y <- read_survey(g, strict = FALSE),
                 class = "panelattrition_csv_warning")
  expect_identical(y$id, 3:4)
  expect_identical(attr(y, "problems")$line, c(2, 3))
  expect_identical(nrow(y) + nrow(attr(y, "problems")), 4L)
})

test_that("a stray quote closed lines later by a quoted field costs one record", {
  # The quote opened on line 3 is taken as closed by the opening quote of a
  # well-formed field on line 5001, which is followed by text: the damaged
  # record starts on line 3, and reading resumes on line 4. (The reader
  # used to keep one record of lines 3-5001 and report nothing: 5,002 rows.)
  lines <- c("id,name,score", paste0(1:10000, ",n", 1:10000, ",", 1:10000))
  lines[3] <- "2,\"Bob,4"
  lines[5001] <- "5000,\"n,5000\",5000"
  lines[7001] <- "7000,\"n7000\",7000"
  f <- text_lines(lines)
  w <- expect_warning(x <- read_survey(f, strict = FALSE),
                      class = "panelattrition_csv_warning")
  expect_match(conditionMessage(w), "1 row dropped", fixed = TRUE)
  # read.csv() is right on the file without the damaged line
  ref <- utils::read.csv(text_lines(lines[-3]))
  expect_identical(nrow(x), 9999L)
  expect_identical(x$id, ref$id)
  expect_identical(x$name, ref$name)
  expect_identical(x$score, ref$score)
  expect_identical(x$name[x$id == 5000], "n,5000")
  p <- attr(x, "problems")
  expect_identical(p$line, 3)
  expect_identical(p$column, "name")
  expect_identical(p$action, "row dropped")
  expect_identical(p$actual, "\"n,5000\",5000 (line 5001)")
  expect_identical(nrow(x) + nrow(p), 10000L)
  expect_identical(attr(x, "records"), 10000)
  # strictly it is an error that says where the record starts
  err <- expect_error(read_survey(f), class = "panelattrition_csv_quote_error")
  expect_identical(err$line, 3)
  expect_identical(err$column, 2L)
  expect_match(conditionMessage(err),
               "record starting on line 3, field 2 has text after its closing quote",
               fixed = TRUE)
  # the same with several threads and a file long enough to be cut
  old <- options(panelattrition.threads = 2)
  on.exit(options(old))
  big <- c("id,name,score", paste0(1:200000, ",n", 1:200000, ",", 1:200000))
  big[100001] <- "100000,\"Bob,4"
  big[150001] <- "150000,\"n150000\",150000"
  g <- text_lines(big)
  expect_warning(y <- read_survey(g, strict = FALSE),
                 class = "panelattrition_csv_warning")
  expect_identical(nrow(y), 199999L)
  expect_identical(attr(y, "problems")$line, 100001)
  expect_identical(y$id, c(1:99999, 100001:200000))
  expect_identical(y$name[150000 - 1], "n150000")
})

test_that("text after a closing quote drops its line, with any line ends", {
  # the damaged record is on one line: only that line is lost
  f <- raw_file(charToRaw("id,x\r\n1,\"ab\"c\r\n2,y\r\n3,\"z\"\r\n"))
  expect_warning(x <- read_survey(f, strict = FALSE),
                 class = "panelattrition_csv_warning")
  expect_identical(x$id, 2:3)
  expect_identical(x$x, c("y", "z"))
  p <- attr(x, "problems")
  expect_identical(p$line, 2)
  expect_identical(p$column, "x")
  expect_identical(p$actual, "\"c")
  expect_identical(attr(x, "records"), 3)
  err <- expect_error(read_survey(f), class = "panelattrition_csv_quote_error")
  expect_identical(err$line, 2)
  expect_identical(err$column, 2L)
  # a damaged line longer than a read block (1 MiB), then good lines
  long <- paste0("1,\"ab\"", strrep("c", 1.1 * 2^20))
  g <- text_lines("id,x", "0,a", long, "2,y", "3,z")
  expect_warning(y <- read_survey(g, strict = FALSE),
                 class = "panelattrition_csv_warning")
  expect_identical(y$id, c(0L, 2L, 3L))
  expect_identical(attr(y, "problems")$line, 3)
  expect_identical(attr(y, "records"), 4)
  # and as the last line of a file without a final line end
  h <- raw_file(charToRaw("id,x\n1,a\n2,\"b\"c"))
  expect_warning(z <- read_survey(h, strict = FALSE),
                 class = "panelattrition_csv_warning")
  expect_identical(z$id, 1L)
  expect_identical(attr(z, "problems")$line, 3)
})

test_that("a quote inside an unquoted field is text, not a problem", {
  # as fread() reads it (read.csv() takes the quote as opening a field)
  f <- text_lines("id,x,y", "1,ab\"c,3", "2,5\" tall,4", "3,d,5")
  for (strict in c(TRUE, FALSE)) {
    x <- expect_silent(read_survey(f, strict = strict))
    expect_identical(x$x, c("ab\"c", "5\" tall", "d"))
    expect_identical(x$y, 3:5)
    expect_null(attr(x, "problems"))
  }
})

test_that("well-formed quoted fields over several lines stay one record", {
  # RFC 4180: line breaks, delimiters, doubled quotes and blank lines
  # inside quotes are data; read.csv() reads them so too
  f <- text_lines("id,note,n",
                  "1,\"two", "lines\",3",
                  "2,\"say \"\"hi\"\"", "", "bye\",4",
                  "3,\"a,b\",5",
                  "4,\"\"\"quoted\"\" start\",6")
  ref <- utils::read.csv(f)
  for (strict in c(TRUE, FALSE)) {
    x <- expect_silent(read_survey(f, strict = strict))
    expect_identical(x$id, ref$id)
    expect_identical(x$note, ref$note)
    expect_identical(x$note[2], "say \"hi\"\n\nbye")
    expect_identical(x$n, ref$n)
    expect_identical(attr(x, "records"), 4)
  }
})

test_that("a stray quote closed on a later line keeps every record", {
  # Line 3 opens a quote that a lone quote on line 8 seems to close: read
  # by the RFC rules, lines 3-8 are one record of the right width (the
  # reader used to keep it so: 9,995 rows, nothing reported). Each of those
  # lines is a record of 3 fields by itself, so the quotes are text.
  lines <- c("id,name,score", paste0(1:10000, ",n", 1:10000, ",", 1:10000))
  lines[3] <- "2,\"Bob,4"
  lines[8] <- "7,n7\",7"
  f <- text_lines(lines)
  w <- expect_warning(x <- read_survey(f, strict = FALSE),
                      class = "panelattrition_csv_warning")
  expect_match(conditionMessage(w), "2 stray quotes read as text",
               fixed = TRUE)
  # read.csv() with quotes off reads every line as it is written
  ref <- utils::read.csv(f, quote = "")
  expect_identical(nrow(x), 10000L)
  expect_identical(x$id, ref$id)
  expect_identical(x$name, ref$name)
  expect_identical(x$score, ref$score)
  expect_identical(x$name[c(2, 7)], c("\"Bob", "n7\""))
  expect_identical(x$score[2:7], c(4L, 3:7))
  p <- attr(x, "problems")
  expect_identical(p$line, c(3, 8))
  expect_identical(p$row, c(2, 7))
  expect_identical(p$column, c("name", "name"))
  expect_identical(p$expected, c("stray quote", "stray quote"))
  expect_identical(p$actual, c("\"Bob", "n7\""))
  expect_identical(p$action, rep("quote read as text", 2))
  expect_identical(attr(x, "records"), 10000)
  # strictly it is an error at the line where the quote opens
  err <- expect_error(read_survey(f), class = "panelattrition_csv_quote_error")
  expect_identical(err$line, 3)
  expect_identical(err$column, 2L)
  expect_match(conditionMessage(err), "runs to line 8", fixed = TRUE)
  # the same with several threads, on a file long enough to be cut
  old <- options(panelattrition.threads = 2)
  on.exit(options(old))
  big <- c("id,name,score", paste0(1:200000, ",n", 1:200000, ",", 1:200000))
  big[100001] <- "100000,\"Bob,4"
  big[100006] <- "100005,n100005\",100005"
  g <- text_lines(big)
  expect_warning(y <- read_survey(g, strict = FALSE),
                 class = "panelattrition_csv_warning")
  expect_identical(y$id, 1:200000)
  expect_identical(y$name[c(100000, 100005)], c("\"Bob", "n100005\""))
  expect_identical(attr(y, "problems")$line, c(100001, 100006))
  expect_identical(attr(y, "problems")$row, c(100000, 100005))
})

test_that("free text over several lines stays one value", {
  # lines inside the quotes that are not each a record of 3 fields: a
  # comment with a comma, one with a blank line, one whose first line
  # alone would look like a record
  f <- text_lines("id,comment,score",
                  "1,\"first line", "second line, with a comma\",3",
                  "2,\"para one", "", "para two\",4",
                  "3,\"a,b", "c\",5",
                  "4,plain,6")
  ref <- utils::read.csv(f)
  for (strict in c(TRUE, FALSE)) {
    x <- expect_silent(read_survey(f, strict = strict))
    expect_identical(x$id, 1:4)
    expect_identical(x$comment, ref$comment)
    expect_identical(x$comment[1], "first line\nsecond line, with a comma")
    expect_identical(x$score, 3:6)
    expect_null(attr(x, "problems"))
    expect_identical(attr(x, "records"), 4)
  }
  # one column: every line is as wide as the header, so nothing is told
  g <- text_lines("note", "\"one", "two\"", "three")
  expect_identical(read_survey(g)$note, c("one\ntwo", "three"))
})

test_that("quoted header names do not hide a stray quote", {
  # fixtures/stray_quote.csv: a quoted header name with a comma, a stray
  # quote on line 3 closed on line 5, a quoted name with a comma on line 6
  f <- test_path("fixtures", "stray_quote.csv")
  w <- expect_warning(x <- read_survey(f, strict = FALSE),
                      class = "panelattrition_csv_warning")
  expect_identical(names(x), c("id", "name, full", "score"))
  expect_identical(x$id, 1:5)
  expect_identical(x$`name, full`, c("Ann", "\"Bob", "Cy", "Di\"", "Ed, Jr"))
  expect_identical(x$score, c(1L, 4L, 3L, 4L, 5L))
  expect_identical(attr(x, "problems")$line, c(3, 5))
  expect_identical(attr(x, "problems")$actual, c("\"Bob", "Di\""))
  expect_error(read_survey(f), class = "panelattrition_csv_quote_error")
  # a header whose names are all quoted, and the same rows
  g <- text_lines("\"id\",\"name, full\",\"score\"", readLines(f)[-1])
  expect_warning(y <- read_survey(g, strict = FALSE),
                 class = "panelattrition_csv_warning")
  expect_identical(as.list(y), as.list(x))
  expect_identical(attr(y, "problems"), attr(x, "problems"))
})

# Resources: wide files ---------------------------------------------------

test_that("a wide file is read as read.csv reads it, in memory that fits", {
  # 20,000 text columns x 2 rows: each text column used to hold a 32 KB
  # lookup table until the read ended (640 MB here, 3.2 GB for 100,000
  # columns); now each column's scratch memory goes when it is done
  k <- 20000L
  f <- text_lines(paste0("v", seq_len(k), collapse = ","),
                  paste0(letters[seq_len(k) %% 26 + 1], 1, collapse = ","),
                  paste0("\"", letters[(seq_len(k) + 3) %% 26 + 1], ",2\"",
                         collapse = ","))
  time <- system.time(x <- read_survey(f))
  ref <- utils::read.csv(f, colClasses = "character")
  expect_identical(dim(x), c(2L, k))
  expect_identical(names(x), names(ref))
  expect_identical(unname(unlist(x[1, ])), unname(unlist(ref[1, ])))
  expect_identical(unname(unlist(x[2, ])), unname(unlist(ref[2, ])))
  expect_identical(x$v20000, c("g1", "j,2")) # 20000 %% 26 = 6: the 7th letter
  # processor time, which a busy machine does not inflate (it was 16 s)
  expect_lt(time[["user.self"]] + time[["sys.self"]], 2)
})
