# Benchmark of the estimators' kernel (src/estimate.c) with a sampling
# design, and of the scale pipeline.
#
#   Rscript bench/design.R [n_design] [n_scale]    (defaults 1e5, 1e6)
#
# Part 1: wave_means(w, "y", by = 4 groups) on a panel with strata and
#   PSUs (n_design people x 3 waves) against
#   survey::svyby(~y, ~wave + g, svydesign(ids = ~psu, strata = ~str,
#   weights = ~w, nest = TRUE), svymean) on the same answers and weights,
#   side by side, median of 5 interleaved runs; then wave_means() alone at
#   1, 3 and 10 times n_design people (time per person should stay flat).
# Part 2: the scale pipeline at n_scale people x 3 waves (monotone dropout
#   depending on the previous answer, 3 groups): attrition_weights(history
#   = "y") + wave_means(by = ) + ipw_gee(y ~ wave * g), with and without a
#   design, each pipeline in a fresh Rscript so that its peak memory is its
#   own, which reads the data from disk (fresh heap) or simulates it first
#   (warm heap): the maximum resident set size (/usr/bin/time -f %M, else VmHWM)
#   and R's heap peak per step (gc(reset = TRUE) max used).
# The package must be installed where R finds it (R_LIBS is handed on to
# the child processes). Machine load is printed with the figures.

suppressPackageStartupMessages({
  library(panelattrition)
  library(survey)
})
args <- commandArgs(trailingOnly = TRUE)
n_design <- if (length(args) >= 1L) as.numeric(args[[1L]]) else 1e5
n_scale <- if (length(args) >= 2L) as.numeric(args[[2L]]) else 1e6
options(width = 120)
runs <- 5L

# A panel of n people, 3 waves: groups g (3 levels) and g4 (4 levels),
# covariates x1, x2, strata `str` (20) with `psu` numbered within them
# (20 PSUs each at 1e5 people), y a person effect plus noise; answering
# wave t depends on x1 and on y at t - 1 (missing at random given the
# history), about 70% stay at each wave.
simulate_design_panel <- function(n, seed = 20261202) {
  set.seed(seed)
  people <- data.frame(
    id = seq_len(n),
    g = factor(sample(c("a", "b", "c"), n, TRUE, prob = c(0.5, 0.3, 0.2))),
    g4 = factor(sample(paste0("k", 1:4), n, TRUE)),
    x1 = round(stats::rnorm(n), 6), x2 = round(stats::rnorm(n), 6),
    str = sample.int(20L, n, TRUE)
  )
  people$psu <- sample.int(max(2L, round(n / 5000)), n, TRUE)
  person <- stats::rnorm(n)
  y <- vapply(1:3, function(t) {
    round(0.3 * as.integer(people$g) + 0.2 * people$x1 + person + 0.4 * t +
            stats::rnorm(n), 6)
  }, numeric(n))
  answered <- matrix(TRUE, n, 3L)
  for (t in 2:3) {
    eta <- 1 + 0.3 * people$x1 - 0.35 * y[, t - 1L]
    answered[, t] <- answered[, t - 1L] & stats::runif(n) < stats::plogis(eta)
  }
  long <- do.call(rbind, lapply(1:3, function(t) {
    k <- answered[, t]
    cbind(people[k, , drop = FALSE], wave = paste0("T", t), y = y[k, t])
  }))
  rownames(long) <- NULL
  long
}

design_panel <- function(long, design = TRUE) {
  if (design) {
    panel_data(long, id = "id", wave = "wave",
               baseline = c("g", "g4", "x1", "x2", "str", "psu"),
               strata = "str", cluster = "psu", nest = TRUE)
  } else {
    panel_data(long, id = "id", wave = "wave",
               baseline = c("g", "g4", "x1", "x2"))
  }
}

machine_busy <- function() {
  if (!file.exists("/proc/stat")) return(NA_real_)
  v <- as.numeric(strsplit(readLines("/proc/stat", n = 1L), " +")[[1L]][-1L])
  (sum(v[1:8]) - v[4L] - v[5L]) / 100
}
own_cpu <- function() sum(proc.time()[c("user.self", "sys.self")])
load_meter <- function() {
  start <- c(busy = machine_busy(), own = own_cpu(),
             wall = proc.time()[["elapsed"]])
  function() {
    d <- c(busy = machine_busy(), own = own_cpu(),
           wall = proc.time()[["elapsed"]]) - start
    (d[["busy"]] - d[["own"]]) / d[["wall"]]
  }
}
# elapsed seconds; the process's CPU seconds of the same call are kept in
# `last_cpu` (on a busy machine the CPU time is the steadier figure)
last_cpu <- NA_real_
elapsed <- function(expr) {
  invisible(gc())
  st <- system.time(expr)
  last_cpu <<- st[["user.self"]] + st[["sys.self"]]
  st[["elapsed"]]
}
# elapsed seconds of a call made right after the same call, without a
# garbage collection in between (as bench::mark() and microbenchmark time
# repeated calls): the memory the call needs is already the process's,
# whereas after gc() (system.time()'s default) the C library has handed
# freed memory back and the call faults it in again
warm <- function(expr) {
  e <- substitute(expr)
  env <- parent.frame()
  eval(e, env)
  st <- system.time(eval(e, env), gcFirst = FALSE)
  st[["elapsed"]]
}
max_rel_diff <- function(a, b) {
  a <- unname(as.numeric(a))
  b <- unname(as.numeric(b))
  max(abs(a - b) / pmax(abs(b), 1e-300))
}

cat(sprintf("%s, R %s, panelattrition %s, survey %s, %d cores\n",
            format(Sys.time(), "%Y-%m-%d %H:%M"), getRversion(),
            utils::packageVersion("panelattrition"),
            utils::packageVersion("survey"), parallel::detectCores()))
cat(sprintf("load average: %s\n",
            paste(utils::head(scan("/proc/loadavg", what = "", quiet = TRUE),
                              3L), collapse = " ")))

# ---------------------------------------------------------------------------
# Part 1
cat(sprintf("\n== Part 1: wave_means(by = 4 groups) with strata and PSUs, %s people x 3 waves\n",
            format(n_design, big.mark = ",", scientific = FALSE)))
long <- simulate_design_panel(n_design)
panel <- design_panel(long)
w <- attrition_weights(panel, ~ g + x1 + x2, history = "y", stabilize = FALSE)
long$w <- w$weights[cbind(match(long$id, panel$baseline$id),
                          match(long$wave, panel$waves))]
svy <- function() {
  d <- survey::svydesign(ids = ~psu, strata = ~str, weights = ~w,
                         nest = TRUE, data = long)
  survey::svyby(~y, ~wave + g4, d, survey::svymean)
}
invisible(wave_means(w, "y", by = "g4", se = "naive"))
invisible(svy())
meter <- load_meter()
t1 <- c1 <- matrix(NA_real_, runs, 3L,
                   dimnames = list(NULL, c("naive", "sandwich", "svyby")))
for (i in seq_len(runs)) {
  t1[i, "naive"] <- elapsed(m_naive <- wave_means(w, "y", by = "g4",
                                                  se = "naive"))
  c1[i, "naive"] <- last_cpu
  t1[i, "sandwich"] <- elapsed(m_sand <- wave_means(w, "y", by = "g4"))
  c1[i, "sandwich"] <- last_cpu
  t1[i, "svyby"] <- elapsed(ref <- svy())
  c1[i, "svyby"] <- last_cpu
}
load1 <- meter()
meter <- load_meter()
t_warm <- matrix(NA_real_, runs, 3L,
                 dimnames = list(NULL, c("naive", "sandwich", "svyby")))
for (i in seq_len(runs)) {
  t_warm[i, "naive"] <- warm(wave_means(w, "y", by = "g4", se = "naive"))
  t_warm[i, "sandwich"] <- warm(wave_means(w, "y", by = "g4"))
  t_warm[i, "svyby"] <- warm(svy())
}
load_warm <- meter()
key_pa <- paste(m_naive$wave, m_naive$g4)
key_sv <- paste(ref$wave, ref$g4)
med <- apply(t1, 2, stats::median)
med_cpu <- apply(c1, 2, stats::median)
print(data.frame(
  call = c("wave_means(se = \"naive\")", "wave_means() (sandwich)",
           "svyby(svymean) on svydesign(strata, PSUs)"),
  median_s = sprintf("%.3f", med),
  svyby_over_this = sprintf("%.1fx", med[["svyby"]] / med),
  median_cpu_s = sprintf("%.3f", med_cpu),
  cpu_ratio = sprintf("%.1fx", med_cpu[["svyby"]] / med_cpu)
), row.names = FALSE, right = FALSE)
cat(sprintf("each call after gc() (system.time()'s default); other processes meanwhile: %.2f cores\n",
            load1))
med_warm <- apply(t_warm, 2, stats::median)
print(data.frame(
  call = c("wave_means(se = \"naive\")", "wave_means() (sandwich)",
           "svyby(svymean) on svydesign(strata, PSUs)"),
  warm_median_s = sprintf("%.3f", med_warm),
  svyby_over_this = sprintf("%.1fx", med_warm[["svyby"]] / med_warm)
), row.names = FALSE, right = FALSE)
cat(sprintf("each call right after the same call, no gc() between (as bench::mark() times repeated calls); other processes meanwhile: %.2f cores\n",
            load_warm))
cat(sprintf("agreement with svyby: estimates %.1e, naive SEs %.1e (max relative difference)\n",
            max_rel_diff(m_naive$estimate, ref$y[match(key_pa, key_sv)]),
            max_rel_diff(m_naive$std_error, ref$se[match(key_pa, key_sv)])))
cat(sprintf("target: naive at least 30x svyby: after gc() %.1fx, %s; consecutive calls %.1fx, %s; sandwich %.1fx / %.1fx\n",
            med[["svyby"]] / med[["naive"]],
            if (med[["svyby"]] / med[["naive"]] >= 30) "met" else "NOT met",
            med_warm[["svyby"]] / med_warm[["naive"]],
            if (med_warm[["svyby"]] / med_warm[["naive"]] >= 30) "met" else "NOT met",
            med[["svyby"]] / med[["sandwich"]],
            med_warm[["svyby"]] / med_warm[["sandwich"]]))
rm(long, panel, w, m_naive, m_sand, ref)

cat("\n== Part 1b: wave_means(by = 4 groups) with the design, by size\n")
sizes <- n_design * c(1, 3, 10)
scaling <- lapply(sizes, function(n) {
  long <- simulate_design_panel(n)
  panel <- design_panel(long)
  w <- attrition_weights(panel, ~ g + x1 + x2, history = "y",
                         stabilize = FALSE)
  invisible(wave_means(w, "y", by = "g4"))
  meter <- load_meter()
  tn <- vapply(seq_len(runs), function(i) {
    c(elapsed(wave_means(w, "y", by = "g4", se = "naive")), last_cpu)
  }, numeric(2))
  ts <- vapply(seq_len(runs), function(i) {
    c(elapsed(wave_means(w, "y", by = "g4")), last_cpu)
  }, numeric(2))
  data.frame(people = format(n, big.mark = ",", scientific = FALSE),
             naive_s = stats::median(tn[1, ]),
             sandwich_s = stats::median(ts[1, ]),
             naive_cpu_s = stats::median(tn[2, ]),
             sandwich_cpu_s = stats::median(ts[2, ]),
             sandwich_cpu_us_per_person = 1e6 * stats::median(ts[2, ]) / n,
             other_cores = meter())
})
scaling <- do.call(rbind, scaling)
print(scaling, row.names = FALSE, digits = 3)
# time ~ n^b between consecutive sizes (b = 1: linear in n)
b <- diff(log(scaling$sandwich_cpu_s)) / diff(log(sizes))
b_naive <- diff(log(scaling$naive_cpu_s)) / diff(log(sizes))
cat(sprintf("exponent b of CPU time ~ n^b, %s: naive %s, sandwich %s\n",
            paste(format(sizes[-length(sizes)], big.mark = ",",
                         scientific = FALSE),
                  format(sizes[-1L], big.mark = ",", scientific = FALSE),
                  sep = " -> ", collapse = "; "),
            paste(sprintf("%.2f", b_naive), collapse = "; "),
            paste(sprintf("%.2f", b), collapse = "; ")))

# ---------------------------------------------------------------------------
# Part 2
cat(sprintf("\n== Part 2: scale pipeline, %s people x 3 waves, each in a fresh Rscript\n",
            format(n_scale, big.mark = ",", scientific = FALSE)))
data_file <- file.path(tempdir(), sprintf("pa-bench-design-%g.rds", n_scale))
long <- simulate_design_panel(n_scale)
cat(sprintf("answers: %s\n", format(nrow(long), big.mark = ",")))
saveRDS(long, data_file, compress = FALSE)
rm(long)
bench_dir <- dirname(sub("^--file=", "",
                         grep("^--file=", commandArgs(FALSE), value = TRUE)[1L]))
child <- file.path(tempdir(), "pa-bench-design-child.R")
writeLines(c(
  "suppressPackageStartupMessages(library(panelattrition))",
  "a <- commandArgs(TRUE); design <- a[2] == 'design'",
  "if (length(a) > 2) {",
  "  # warm heap: the data simulated in this process first (a[3] is this",
  "  # benchmark's script, a[4] the number of people)",
  "  src <- readLines(a[3])",
  "  from <- grep('^simulate_design_panel <- function', src)",
  "  to <- grep('^design_panel <- function', src) - 1L",
  "  eval(parse(text = src[from:to]))",
  "  long <- simulate_design_panel(as.numeric(a[4]))",
  "} else long <- readRDS(a[1])",
  "if (design) {",
  "  panel <- panel_data(long, id = 'id', wave = 'wave', baseline = c('g', 'x1', 'x2', 'str', 'psu'), strata = 'str', cluster = 'psu', nest = TRUE)",
  "} else panel <- panel_data(long, id = 'id', wave = 'wave', baseline = c('g', 'x1', 'x2'))",
  "rm(long)",
  "step <- function(expr) { invisible(gc(reset = TRUE)); st <- system.time(v <- expr); m <- sum(gc()[, 6L]); list(v = v, t = st[['elapsed']], c = st[['user.self']] + st[['sys.self']], m = m) }",
  "a1 <- step(attrition_weights(panel, ~ g + x1 + x2, history = 'y', stabilize = FALSE))",
  "a2 <- step(wave_means(a1$v, 'y', by = 'g'))",
  "a3 <- step(ipw_gee(y ~ wave * g, a1$v))",
  "cat(sprintf('%.3f %.3f %.3f %.0f %.0f %.0f %.3f %.3f %.3f\\n', a1$t, a2$t, a3$t, a1$m, a2$m, a3$m, a1$c, a2$c, a3$c))"
), child)
bench_file <- normalizePath(sub("^--file=", "",
                                grep("^--file=", commandArgs(FALSE),
                                     value = TRUE)[1L]))
peak_rss <- function(design, heap = "fresh") {
  args <- c(child, data_file, design,
            if (heap == "warm") c(bench_file, format(n_scale, scientific = FALSE)))
  if (file.exists("/usr/bin/time")) {
    res <- system2("/usr/bin/time", c("-f", "RSS=%M", file.path(R.home("bin"), "Rscript"),
                                      args),
                   stdout = TRUE, stderr = TRUE)
  } else {
    res <- system2(file.path(R.home("bin"), "Rscript"), args, stdout = TRUE,
                   stderr = TRUE)
  }
  line <- grep("^[0-9. ]+$", res, value = TRUE)
  if (!length(line)) {
    cat(res, sep = "\n")
    stop(sprintf("the pipeline (%s) failed in its child process; its output is above",
                 design))
  }
  nums <- as.numeric(strsplit(trimws(line[1L]), " +")[[1L]])
  rss <- sub("RSS=", "", grep("^RSS=", res, value = TRUE))
  c(nums, rss_mb = if (length(rss)) as.numeric(rss) / 1024 else NA_real_)
}
meter <- load_meter()
runs2 <- expand.grid(design = c("none", "design"), heap = c("fresh", "warm"),
                     stringsAsFactors = FALSE)
res <- lapply(seq_len(nrow(runs2)), function(k) {
  d <- runs2$design[k]
  r <- t(vapply(seq_len(3L), function(i) peak_rss(d, runs2$heap[k]),
                numeric(10)))
  data.frame(design = d, heap = runs2$heap[k],
             weights_s = stats::median(r[, 1]), means_s = stats::median(r[, 2]),
             gee_s = stats::median(r[, 3]),
             total_s = stats::median(rowSums(r[, 1:3])),
             weights_cpu_s = stats::median(r[, 7]),
             means_cpu_s = stats::median(r[, 8]),
             gee_cpu_s = stats::median(r[, 9]),
             total_cpu_s = stats::median(rowSums(r[, 7:9])),
             heap_peak_mb = max(r[, 4:6]), rss_peak_mb = max(r[, 10]))
})
load2 <- meter()
res <- do.call(rbind, res)
print(res, row.names = FALSE, digits = 3)
cat(sprintf(paste("median of 3 fresh processes each (heap fresh: the data read",
                  "from disk; warm: simulated in the process first, so that",
                  "the memory the steps need is partly the process's already);",
                  "the child processes meanwhile: %.2f cores\n"), load2))
fresh <- res$heap == "fresh"
cat(sprintf(paste("targets: total under 3 s (fresh heap %s, warm heap %s; by",
                  "CPU time %s / %s), peak under 1 GB with a fresh heap (%s)\n"),
            if (all(res$total_s[fresh] < 3)) "met" else "NOT met",
            if (all(res$total_s[!fresh] < 3)) "met" else "NOT met",
            if (all(res$total_cpu_s[fresh] < 3)) "met" else "NOT met",
            if (all(res$total_cpu_s[!fresh] < 3)) "met" else "NOT met",
            if (all(res$rss_peak_mb[fresh] < 1024)) "met" else "NOT met"))
unlink(c(data_file, child))
