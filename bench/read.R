# Benchmark of read_survey() against read.csv, readr and data.table.
#
#   Rscript bench/read.R [n_rows]        (default 1e6 rows)
#
# The package must be installed where R finds it (e.g. R_LIBS=/path/to/lib,
# which is also passed on to the child processes that measure memory).
# The test file is written once per n under BENCH_DIR (default: tempdir())
# and reused while it exists. See bench/README.md.

suppressPackageStartupMessages({
  library(panelattrition)
  library(data.table)
  library(readr)
})

args <- commandArgs(trailingOnly = TRUE)
n <- if (length(args) >= 1L) as.numeric(args[[1L]]) else 1e6
if (is.na(n) || n < 1 || n != round(n)) {
  stop("n_rows must be a positive whole number, such as 1e6")
}
n <- as.integer(n)
n_runs <- 3L

# ---------------------------------------------------------------------------
# The test file: 30 columns shaped like a survey export
#   id                 "P0000001", ...                  never missing
#   q01..q12           Likert answers 1-5 (integer)
#   x01..x08           doubles, rnorm() rounded to 4 decimals
#   d1..d3             dates written as text, "2022-03-14"
#   txt1..txt4         free text: commas and doubled quotes inside quotes
#   consent            TRUE / FALSE
#   arm                "control" / "treatment" / "waitlist"
# 5% of the cells of every column but id are empty (missing).

make_survey <- function(n, path) {
  set.seed(20240314)
  na_rate <- 0.05
  with_na <- function(x) {
    x[stats::runif(length(x)) < na_rate] <- NA
    x
  }
  phrases <- c(
    "Good course, would recommend",
    "The tutor said \"keep going\", so I did",
    "Too long; too many modules",
    "ok",
    "Hard to follow, especially week 3",
    "I moved house, then changed job",
    "\"Excellent\"",
    "Not sure",
    "Nothing to add",
    "Videos were great, quizzes less so",
    "My manager asked me to \"finish it\", which I did",
    "Too easy"
  )
  cols <- list(id = sprintf("P%07d", seq_len(n)))
  for (k in 1:12) {
    cols[[sprintf("q%02d", k)]] <- with_na(sample.int(5L, n, replace = TRUE))
  }
  for (k in 1:8) {
    cols[[sprintf("x%02d", k)]] <-
      with_na(round(stats::rnorm(n, mean = 10 * k, sd = k), 4))
  }
  start <- as.Date("2021-09-01")
  for (k in 1:3) {
    cols[[sprintf("d%d", k)]] <-
      with_na(format(start + 120L * (k - 1L) + sample.int(90L, n, replace = TRUE)))
  }
  for (k in 1:4) {
    cols[[sprintf("txt%d", k)]] <-
      with_na(sample(phrases, n, replace = TRUE))
  }
  cols$consent <- with_na(stats::runif(n) < 0.9)
  cols$arm <- with_na(sample(c("control", "treatment", "waitlist"), n,
                             replace = TRUE))
  stopifnot(length(cols) == 30L)
  tmp <- paste0(path, ".part")
  # quote = "auto": fields holding a comma or a quote are quoted, and quotes
  # inside them doubled; missing values are written as empty fields
  data.table::fwrite(data.table::setDT(cols), tmp, quote = "auto",
                     qmethod = "double", na = "", nThread = 1L)
  file.rename(tmp, path)
}

bench_dir <- Sys.getenv("BENCH_DIR", tempdir())
dir.create(bench_dir, showWarnings = FALSE, recursive = TRUE)
f <- file.path(bench_dir, sprintf("panelattrition-bench-v1-%d.csv", n))
if (file.exists(f)) {
  cat("Reusing", f, "\n")
} else {
  cat("Writing", f, "... ")
  t_write <- system.time(make_survey(n, f))[["elapsed"]]
  cat(sprintf("%.1f s\n", t_write))
}
size_mb <- file.size(f) / 2^20
cat(sprintf("File: %d rows x 30 columns, %.1f MiB\n", n, size_mb))
cat("First lines:\n")
writeLines(paste(" ", readLines(f, n = 3L)))

# ---------------------------------------------------------------------------
# The readers. Each is an expression in `f`, so that the same text can be
# timed here and run alone in a child process for its peak memory.

readers <- c(
  "read_survey"           = "panelattrition::read_survey(f)",
  "read.csv"              = "utils::read.csv(f)",
  "readr::read_csv"       = "readr::read_csv(f, show_col_types = FALSE, progress = FALSE, lazy = FALSE)",
  "fread (nThread = 1)"   = "data.table::fread(f, nThread = 1)",
  "fread (default)"       = "data.table::fread(f)"
)
exprs <- lapply(readers, function(x) parse(text = x)[[1L]])

cat(sprintf("\nThreads: readr uses %d (readr_threads()), fread default uses %d (getDTthreads()); %d cores\n",
            readr::readr_threads(), data.table::getDTthreads(),
            parallel::detectCores()))

# ---------------------------------------------------------------------------
# Time: three runs of each reader in this one process. The runs go round
# robin (every reader once, then again), so that a passing slowdown of the
# machine falls on all readers rather than on one.

# Other processes on the machine make the times noisy: measure the CPU time
# they take while the readers are timed (machine-wide busy time from
# /proc/stat minus this process's own).
machine_busy <- function() {
  if (!file.exists("/proc/stat")) return(NA_real_)
  v <- as.numeric(strsplit(readLines("/proc/stat", n = 1L), " +")[[1L]][-1L])
  # user nice system idle iowait irq softirq steal (guest is in user)
  ticks <- sum(v[1:8]) - v[4L] - v[5L]
  ticks / 100  # USER_HZ is 100 on Linux
}
own_cpu <- function() {
  pt <- proc.time()
  sum(pt[c("user.self", "sys.self")])
}
busy0 <- machine_busy()
Sys.sleep(1)
busy_before <- machine_busy() - busy0  # this process sleeps meanwhile
cat(sprintf("CPU busy on the machine in the second before timing: %.2f cores%s\n",
            busy_before,
            if (!is.na(busy_before) && busy_before > 0.2)
              " -- other work is running; times will be noisy" else ""))
busy0 <- machine_busy()
own0 <- own_cpu()
wall0 <- proc.time()[["elapsed"]]

times <- matrix(NA_real_, length(readers), n_runs,
                dimnames = list(names(readers), NULL))
# only the results compared below are kept
keep <- c("read_survey", "fread (nThread = 1)", "readr::read_csv")
results <- list()
for (i in seq_len(n_runs)) {
  cat(sprintf("Round %d:", i))
  for (r in names(readers)) {
    results[[r]] <- NULL
    invisible(gc())
    times[r, i] <- system.time(
      res <- eval(exprs[[r]], list(f = f))
    )[["elapsed"]]
    if (r %in% keep) results[[r]] <- res
    rm(res)
    cat(sprintf("  %s %.2f", r, times[r, i]))
  }
  cat("\n")
}
other_cpu <- (machine_busy() - busy0) - (own_cpu() - own0)
timing_s <- proc.time()[["elapsed"]] - wall0
med <- apply(times, 1L, stats::median)

# ---------------------------------------------------------------------------
# Peak memory: each reader alone in a fresh Rscript, max resident set size

time_bin <- "/usr/bin/time"
has_time <- file.exists(time_bin) &&
  system2(time_bin, c("-f", "%M", "true"), stdout = FALSE, stderr = FALSE) == 0
rscript <- file.path(R.home("bin"), "Rscript")
child_env <- paste0("R_LIBS=", shQuote(paste(.libPaths(), collapse = ":")))

peak_mb <- function(code) {
  script <- tempfile(fileext = ".R")
  hwm <- tempfile()
  on.exit(unlink(c(script, hwm)))
  writeLines(c(
    "f <- commandArgs(trailingOnly = TRUE)[[1L]]",
    paste0("x <- ", code),
    # fallback when /usr/bin/time is not there: the kernel's high-water mark
    "st <- readLines('/proc/self/status')",
    "hwm <- sub('^VmHWM:[[:space:]]*([0-9]+).*$', '\\\\1', grep('^VmHWM:', st, value = TRUE))",
    sprintf("writeLines(hwm, %s)", deparse(hwm))
  ), script)
  if (has_time) {
    out <- tempfile()
    on.exit(unlink(out), add = TRUE)
    status <- system2(time_bin, c("-o", shQuote(out), "-f", "%M", rscript,
                                  shQuote(script), shQuote(f)),
                      env = child_env, stdout = FALSE, stderr = FALSE)
    kb <- as.numeric(utils::tail(readLines(out), 1L))
  } else {
    status <- system2(rscript, c(shQuote(script), shQuote(f)),
                      env = child_env, stdout = FALSE, stderr = FALSE)
    kb <- as.numeric(readLines(hwm))
  }
  if (status != 0) return(NA_real_)
  kb / 1024
}

cat(sprintf("\nPeak memory (max RSS of a fresh Rscript per reader, via %s)\n",
            if (has_time) "/usr/bin/time -f %M" else "VmHWM in /proc/self/status"))
mem <- setNames(numeric(length(readers)), names(readers))
for (r in names(readers)) {
  mem[[r]] <- peak_mb(readers[[r]])
  cat(sprintf("  %-22s %8.0f MiB\n", r, mem[[r]]))
}
base_mem <- peak_mb("NULL")
cat(sprintf("  %-22s %8.0f MiB\n", "(R alone, no reading)", base_mem))

# ---------------------------------------------------------------------------
# Check: read_survey agrees with fread

cat("\nChecking read_survey() against fread():\n")
a <- results[["read_survey"]]
b <- as.data.frame(results[["fread (nThread = 1)"]])
ok_dim <- identical(dim(a), dim(b)) && identical(names(a), names(b))
cat(sprintf("  dimensions %d x %d vs %d x %d, names %s: %s\n",
            nrow(a), ncol(a), nrow(b), ncol(b),
            if (identical(names(a), names(b))) "equal" else "differ",
            if (ok_dim) "ok" else "MISMATCH"))
same_col <- function(x, y) {
  if (is.numeric(x) && is.numeric(y)) {
    identical(is.na(x), is.na(y)) &&
      isTRUE(all.equal(x[!is.na(x)], y[!is.na(y)], tolerance = 1e-12))
  } else {
    # fread keeps empty text fields as "" and reads dates as IDate, where
    # read_survey makes empty fields NA and keeps dates as text. fread also
    # leaves the doubled quotes of a quoted field doubled (data.table issue
    # #4779), so undo that; the text columns are checked against readr too.
    y <- as.character(y)
    y[!is.na(y) & y == ""] <- NA
    identical(as.character(x), gsub("\"\"", "\"", y, fixed = TRUE))
  }
}
ok_cols <- TRUE
if (ok_dim) {
  for (nm in names(a)) {
    ok <- same_col(a[[nm]], b[[nm]])
    ok_cols <- ok_cols && ok
    cat(sprintf("  %-8s %-10s / %-10s %s\n", nm, class(a[[nm]])[1L],
                class(b[[nm]])[1L], if (ok) "equal" else "DIFFERENT"))
  }
}
txt <- grep("^txt", names(a), value = TRUE)
ok_txt <- all(vapply(txt, function(nm) {
  identical(a[[nm]], results[["readr::read_csv"]][[nm]])
}, logical(1)))
cat(sprintf("  text columns (%s) identical to readr's: %s\n",
            paste(txt, collapse = ", "), if (ok_txt) "yes" else "NO"))
agree <- ok_dim && ok_cols && ok_txt
cat(sprintf("  => %s\n", if (agree) "read_survey() and fread() agree"
                         else "read_survey() and fread() DISAGREE"))

# ---------------------------------------------------------------------------
# Results

tab <- data.frame(
  reader = names(readers),
  median_s = round(med, 3),
  ratio = round(med / med[["read_survey"]], 2),
  peak_mib = round(mem),
  row.names = NULL, check.names = FALSE
)
names(tab) <- c("reader", "median s", "time / read_survey", "peak RSS MiB")
cat(sprintf("\nResults: %d rows, %.1f MiB file, median of %d runs, %s, R %s, readr %s, data.table %s\n",
            n, size_mb, n_runs, format(Sys.Date()), getRversion(),
            utils::packageVersion("readr"), utils::packageVersion("data.table")))
print(tab, row.names = FALSE)
cat(sprintf("CPU taken by other processes while timing: %.0f s over %.0f s (%.2f cores on average)\n",
            other_cpu, timing_s, other_cpu / timing_s))

rs <- med[["read_survey"]]
targets <- data.frame(
  target = c("at least 10x faster than read.csv",
             "no slower than readr::read_csv",
             "within 2x of fread(nThread = 1)",
             "at most 1.2x fread(nThread = 1) (issue 14)"),
  measured = c(sprintf("%.1fx faster", med[["read.csv"]] / rs),
               sprintf("%.2fx readr's time", rs / med[["readr::read_csv"]]),
               sprintf("%.2fx fread's time", rs / med[["fread (nThread = 1)"]]),
               sprintf("%.2fx fread's time", rs / med[["fread (nThread = 1)"]])),
  met = c(med[["read.csv"]] / rs >= 10,
          rs <= med[["readr::read_csv"]],
          rs <= 2 * med[["fread (nThread = 1)"]],
          rs <= 1.2 * med[["fread (nThread = 1)"]])
)
cat("\nTargets:\n")
print(targets, row.names = FALSE, right = FALSE)
if (!agree) quit(status = 1L)
