# A file long enough to be read in many parts on two threads: the parts
# after the first keep no text for typed columns and only the distinct
# values of text columns, and write the text back from the values when a
# column changes type late, holds a number written in a way of its own,
# or is asked for as text. Whatever the path, the result must be the one a
# single thread gives (which keeps every field's text), and the late
# values must read as they are written in the file.

parts_file <- function(n = 250000L) {
  i <- seq_len(n)
  cols <- list(
    int_text = as.character(i %% 7L),
    dbl_trail = sprintf("%d.25", i %% 50L),
    int_minus0 = as.character(i %% 5L - 2L),
    dbl_in_int = as.character(i %% 9L),
    lgl = ifelse(i %% 3L == 0L, "TRUE", "FALSE"),
    na_mix = ifelse(i %% 10L == 0L, "", as.character(i %% 4L)),
    txt = ifelse(i <= n / 2, c("red", "green", "blue")[i %% 3L + 1L],
                 paste0("u", i))
  )
  cols$int_text[180000] <- "oops"
  cols$dbl_trail[190000] <- "2.50"
  cols$dbl_trail[n] <- "x"
  cols$int_minus0[200000] <- "-0"
  cols$int_minus0[n] <- "n/a"
  cols$dbl_in_int[160000] <- "2.5"
  cols$lgl[210000] <- "T"
  cols$na_mix[220000] <- "NA"
  cols$na_mix[n] <- "z"
  path <- tempfile(fileext = ".csv")
  writeLines(c(paste(names(cols), collapse = ","),
               do.call(paste, c(cols, sep = ","))), path)
  path
}

read_threads <- function(path, threads, ...) {
  old <- options(panelattrition.threads = threads)
  on.exit(options(old))
  read_survey(path, ...)
}

test_that("a file read in parts gives what one thread gives", {
  f <- parts_file()
  one <- read_threads(f, 1)
  two <- read_threads(f, 2)
  expect_identical(two, one)
  expect_identical(vapply(two, typeof, ""),
                   c(int_text = "character", dbl_trail = "character",
                     int_minus0 = "character", dbl_in_int = "double",
                     lgl = "logical", na_mix = "character",
                     txt = "character"))
  # the late values as written, and the rows before them as written
  expect_identical(two$int_text[c(179999, 180000, 180001)],
                   c("1", "oops", "3"))
  expect_identical(two$dbl_trail[c(1, 189999, 190000, 250000)],
                   c("1.25", "49.25", "2.50", "x"))
  expect_identical(two$int_minus0[c(1, 199999, 200000, 200001)],
                   c("-1", "2", "-0", "-1"))
  expect_identical(two$dbl_in_int[c(159999, 160000, 160001)],
                   c(6, 2.5, 8))
  expect_identical(two$lgl[c(209999, 210000, 210001)],
                   c(FALSE, TRUE, FALSE))
  expect_identical(two$na_mix[c(10, 219999, 220000, 249999, 250000)],
                   c(NA, "3", NA, "3", "z"))
  expect_identical(two$txt[c(1, 125000, 125001, 250000)],
                   c("green", "blue", "u125001", "u250000"))

  # every column asked for as text: the text of every field comes back
  as_text <- stats::setNames(rep("character", 7), names(one))
  t1 <- read_threads(f, 1, col_types = as_text)
  t2 <- read_threads(f, 2, col_types = as_text)
  expect_identical(t2, t1)
  expect_identical(t2$lgl[c(209999, 210000)], c("FALSE", "T"))
  expect_identical(t2$dbl_in_int[c(1, 160000)], c("1", "2.5"))
  lines <- readLines(f)
  expect_identical(paste(t2[250000, ], collapse = ","), lines[250001])
})
