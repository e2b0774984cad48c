# Run every C entry point with tiny inputs under gctorture(TRUE), which
# collects garbage at every allocation, so that an object the C code forgot
# to PROTECT is freed at once and the result is corrupt or R crashes.
# Each result is compared with the same call made without torture.
#
#   R_LIBS=.lib Rscript tools/gctorture.R [call ...]   (make gctorture; names
#   given: only those calls)
#
# Run from the package root. Exits with status 1 if any result differs or
# any call fails differently under torture.
suppressPackageStartupMessages(library(panelattrition))
ns <- asNamespace("panelattrition")
fixture <- function(name) file.path("tests", "testthat", "fixtures", name)
if (!file.exists(fixture("comma.csv"))) {
  stop("run tools/gctorture.R from the package root")
}

# A call's value, or its condition class and message when it fails, so
# that error paths (which free the reader early) are tortured too.
outcome <- function(f) {
  tryCatch(
    withCallingHandlers(
      f(),
      warning = function(w) invokeRestart("muffleWarning")
    ),
    error = function(e) list(class = class(e), message = conditionMessage(e))
  )
}

tortured <- function(f) {
  gctorture(TRUE)
  on.exit(gctorture(FALSE))
  outcome(f)
}

x <- cbind("(Intercept)" = 1, age = c(34, 51, 29, 62, 45, 38, 57, 41),
           woman = c(1, 0, 1, 1, 0, 0, 1, 0))
y <- c(1, 0, 1, 1, 0, 1, 0, 1)
cal_x <- cbind("(Intercept)" = 1, woman = x[, "woman"])
# a small panel with two waves after the first, for the bootstrap engine
boot_long <- data.frame(id = rep(1:40, 3),
                        wave = rep(c("T1", "T2", "T3"), each = 40))
boot_long$age <- 25 + (boot_long$id * 7) %% 40
boot_long$y <- (boot_long$id * 5 + rep(1:3, each = 40)) %% 4 + 2
dropped <- boot_long$wave != "T1" & boot_long$id %% 5 == 0 |
  boot_long$wave == "T3" & boot_long$id %% 7 %in% c(1, 4)
boot_long <- boot_long[!dropped, ]
boot_w <- attrition_weights(
  panel_data(boot_long, id = "id", wave = "wave", baseline = "age"),
  ~ age, history = "y", stabilize = FALSE
)

# C_stage_gradient() for the first stage of boot_w, with the feeds made by
# feeds(r, wt) from the people who answered wave 2 (r) and that wave's
# weights with 0 for the others (wt).
boot_stage_gradient <- function(feeds) {
  st <- boot_w$stages[[1L]]
  wt <- ifelse(is.na(boot_w$weights[, 2L]), 0, boot_w$weights[, 2L])
  r <- which(!is.na(boot_w$weights[, 2L]))
  .Call(ns$C_stage_gradient, st$x, as.double(ns$stage_log_factor(st)),
        as.integer(st$risk), feeds(r, wt), nrow(boot_w$weights), 2L)
}

calls <- list(
  read_comma = function() read_survey(fixture("comma.csv")),
  read_qualtrics = function() read_survey(fixture("qualtrics.csv")),
  read_latin1 = function() read_survey(fixture("latin1.csv")),
  read_ragged_lenient = function() {
    read_survey(fixture("ragged.csv"), strict = FALSE)
  },
  read_ragged_strict = function() read_survey(fixture("ragged.csv")),
  read_bad_int = function() {
    read_survey(fixture("bad_int.csv"), col_types = c(count = "integer"),
                strict = FALSE)
  },
  libcsv_version = function() libcsv_version(),
  fit_logit = function() ns$fit_logit(x, y),
  fit_firth = function() ns$fit_logit(x, y, method = "firth"),
  fit_lean = function() ns$fit_logit(x, y, scores = FALSE),
  fit_stage = function() {
    ns$fit_stage_logit(x, y, rep(1, 8), "logit", list(), "T2")
  },
  crossprod_xa = function() ns$xt_a(x, cbind(y, 1 - y)),
  crossprod_xa_wide = function() ns$xt_a(cbind(x, x), cbind(y)),
  fit_single_precision = function() {
    # enough rows for the float copy of x and its Newton matrices
    k <- rep(seq_len(nrow(x)), 520)
    ns$fit_logit(x[k, ], y[k], weights = seq_along(k) %% 3 + 1)
  },
  boot_replicates = function() {
    ns$run_replicates(boot_w, boot_control(B = 2, seed = 5, threads = 2))
  },
  x_times_b = function() ns$x_b(x, diag(ncol(x))),
  main_effects = function() {
    cols <- list(g = factor(c("a", "b", "c", "a", "b", "c", "a", "b")),
                 age = x[, "age"], k = 1:8)
    ns$main_effects_matrix(stats::terms(~ g + age + k), cols)
  },
  main_effects_rows = function() {
    cols <- list(g = factor(c("a", "b", "c", "a", "b", "c", "a", "b")),
                 age = x[, "age"], k = 1:8)
    ns$main_effects_matrix(stats::terms(~ g + age + k), cols,
                           c(1L, 2L, 3L, 7L))
  },
  main_effects_na = function() {
    cols <- list(g = factor(c("a", "b", "c", "a", "b", "c", "a", "b")),
                 age = c(NA, x[-1, "age"]), k = 1:8)
    ns$main_effects_matrix(stats::terms(~ g + age + k), cols, c(1L, 2L, 3L))
  },
  fit_separated = function() {
    ns$fit_logit(x[, 1:2], as.numeric(x[, "age"] > 44))
  },
  calibrate_raking = function() {
    ns$calibrate_weights(cal_x, rep(1, 8), c("(Intercept)" = 10, woman = 5))
  },
  calibrate_logit = function() {
    ns$calibrate_weights(cal_x, rep(1, 8), c("(Intercept)" = 10, woman = 5),
                         calfun = "logit", bounds = c(0.5, 2))
  },
  calibrate_impossible = function() {
    ns$calibrate_weights(cal_x, rep(1, 8), c("(Intercept)" = 10, woman = 20),
                         calfun = "logit", bounds = c(0.5, 2))
  },
  # the estimators' kernel (estimate.c): cell means, a stage's gradient
  # from sparse and from row-subset derivatives, the covariances
  cell_means = function() {
    .Call(ns$C_cell_means, c(1L, 2L, 3L, 1L, 3L), c(1L, 1L, 1L, 2L, 2L),
          c(1, 2, 1.5, 1, 2), c(3, 4, 8, 1, 0), 4, 3L, TRUE)
  },
  cell_means_entries = function() {
    .Call(ns$C_cell_means, c(1L, 2L, 3L, 1L, 3L), c(1L, 1L, 1L, 2L, 2L),
          c(1, 2, 1.5, 1, 2), c(3, 4, 8, 1, 0), 4, 3L, FALSE)
  },
  cell_fit = function() {
    .Call(ns$C_cell_fit, list(c(1L, 3L, 4L), integer(), c(2L, 5L)),
          list(c(3, 4, 8), numeric(), c(1, 0)), c(1L, 2L, 3L, 1L, 3L),
          c(1L, 1L, 1L, 2L, 2L), matrix(c(1, 2, 1.5, NA, 1, NA, 2, NA), 4L),
          FALSE)
  },
  cell_fit_columns = function() {
    # (the second cell's people out of order: its column is sorted)
    .Call(ns$C_cell_fit, list(c(1L, 3L), integer(), c(5L, 2L)),
          list(c(3, 4), numeric(), c(1, 0)), c(1L, 2L, 3L, 1L, 3L),
          c(1L, 1L, 1L, 2L, 2L), matrix(c(1, 2, 1.5, NA, 1, NA, 2, NA), 4L),
          TRUE)
  },
  influence_columns = function() {
    .Call(ns$C_influence_columns, c(3L, 1L, 2L, 5L, 4L), c(1L, 1L, 2L, 2L, 2L),
          c(0.5, -1, 2, 1, -0.25), c(2, 4), 2L)
  },
  cell_split = function() {
    .Call(ns$C_cell_split, c(1.5, NA, 2, 3, NaN, 4), c(1L, 1L, 3L, 3L, 1L, 1L),
          3L, factor(c("a", "b", "a", "b", "b", "a")), c(2L, 1L), TRUE, TRUE)
  },
  cell_split_integer = function() {
    .Call(ns$C_cell_split, c(1L, NA, 2L, 3L, 0L, 4L), c(1L, 1L, 3L, 3L, 1L, 1L),
          3L, NULL, NULL, FALSE, TRUE)
  },
  value_counts = function() {
    .Call(ns$C_value_counts, c("x", NA, "y", "z"), c(2L, 1L, 2L, 5L), 3L)
  },
  pairs_sorted = function() {
    list(.Call(ns$C_pairs_sorted, c(1L, 1L, 2L, NA), c(1L, 2L, 1L, 3L)),
         .Call(ns$C_pairs_sorted, c(1L, 1L), c(2L, -1L)))
  },
  weights_at = function() {
    .Call(ns$C_weights_at, matrix(c(1, 2, NA, 4, 5, 6), 3L),
          c(1L, 3L, NA, 4L), c(2L, 1L, 1L, 1L))
  },
  # arrays above the huge-page threshold (2 MB), with the option read
  huge_pages = function() {
    old <- options(panelattrition.huge_pages = TRUE)
    on.exit(options(old))
    v <- .Call(ns$C_weights_at, matrix(0.5, 4e5, 1L), rep(1L, 4e5),
               rep(1L, 4e5))
    m <- .Call(ns$C_x_times_b, matrix(1, 4e5, 1L), matrix(2, 1L, 1L))
    c(sum(v), sum(m))
  },
  psu_counts = function() {
    .Call(ns$C_psu_counts, c(3L, 3L, 1L, 5L, 5L, 5L, 1L),
          c(9L, 4L, 2L, 7L, 7L, 12L, 2L))
  },
  column_sums = function() {
    .Call(ns$C_column_sums, matrix(c(1, NA, 2.5, 3, NaN, 4), 3L))
  },
  tipping_shares = function() {
    .Call(ns$C_tipping_shares, c(1L, 2L, 4L, 2L, 5L),
          list(c(1L, 2L), NULL, c(4L, 5L), 3L),
          list(c(1L, 2L, 3L), NULL, c(2L, 5L, 6L), c(4L, 5L)),
          c(1, 2, 1.5, 1, 3, 2), 6, c(TRUE, TRUE, TRUE, FALSE))
  },
  influence_total_split = function() {
    phi <- list(c(1L, 2L, 3L, 1L, 3L, 2L), c(1L, 1L, 1L, 2L, 2L, 3L),
                c(0.5, -1, 2, 1, -0.25, 3), 4, 3L, c(2L, 3L))
    up <- list(list(risk = c(1L, 2L, 4L), cols = 1L,
                    u = matrix(c(0.1, -0.2, 0.3), 3L)))
    .Call(ns$C_influence_total, phi, up, c(2, 3, 1.5))
  },
  influence_total_overwrite = function() {
    m <- matrix(c(1, 2, 3, 4, 5, 6), 3L) + 0
    .Call(ns$C_influence_total, list(1:3, m, 3, TRUE),
          list(list(risk = c(1L, 3L), cols = 2L, u = matrix(c(0.5, -1), 2L))),
          matrix(c(2, 1, 1, 3), 2L))
  },
  influence_total_rows = function() {
    phi <- list(rows = c(4L, 1L), m = matrix(c(1, 2, 3, 4), 2L), n = 5)
    .Call(ns$C_influence_total, phi, list(), matrix(c(2, 1, 1, 3), 2L))
  },
  influence_total_entries = function() {
    phi <- list(person = c(1L, 2L, 3L, 1L, 3L), cell = c(1L, 1L, 1L, 2L, 2L),
                v = c(0.5, -1, 2, 1, -0.25), n = 4, q = 2L)
    .Call(ns$C_influence_total, phi, list(), c(2, 3))
  },
  stage_gradient = function() {
    boot_stage_gradient(function(r, wt) {
      list(list(rows = r, col = rep(1L, length(r)), v = r / 10, wt = wt),
           list(rows = r, m = cbind(r / 7, 1), wt = wt))
    })
  },
  stage_gradient_range = function() {
    # the entries 3..(3 + 5 - 1) of a wave's, read in place
    boot_stage_gradient(function(r, wt) {
      list(list(rows = r, col = rep(1:2, length.out = length(r)),
                v = r / 10, wt = wt, range = c(3L, 5L)))
    })
  },
  influence_total = function() {
    st <- boot_w$stages[[1L]]
    n <- nrow(boot_w$weights)
    phi <- matrix(seq_len(2L * n) / 10, n, 2L,
                  dimnames = list(NULL, c("a", "b")))
    k <- length(st$risk)
    .Call(ns$C_influence_total, phi,
          list(list(risk = as.integer(st$risk), cols = 2L,
                    r = as.double(st$fit$residuals), x = st$x,
                    m = matrix(seq_len(ncol(st$x)) / 3, ncol(st$x), 1L)),
               list(risk = as.integer(st$risk), cols = c(1L, 2L),
                    u = matrix(seq_len(2L * k) / 7, k, 2L))),
          c(2, 4))
  },
  influence_total_solve = function() {
    phi <- matrix(seq_len(3000) / 10, 1500L, 2L)
    .Call(ns$C_influence_total, phi, list(), matrix(c(2, 1, 1, 3), 2L))
  },
  influence_vcov = function() {
    ns$influence_vcov(cbind(a = x[, "age"], b = y))
  },
  design_vcov = function() {
    design <- list(strata = c(1L, 1L, 1L, 1L, 2L, 2L, 2L, 3L),
                   psu = c(1L, 1L, 2L, 3L, 4L, 5L, 5L, 6L),
                   popsize = rep(c(10, 6, 4), c(4, 3, 1)),
                   lonely_psu = "adjust")
    ns$design_vcov(cbind(a = x[, "age"], b = y), design)
  },
  tipping_cross = function() {
    groups <- list(list(c(1L, 4L, 8L), c(0.5, -1, 2)), list(3L, 1))
    ns$tipping_cross(cbind(a = x[, "age"], b = y)[2:7, ], 2:7, 2:1, groups,
                     NULL, 1:8)
  },
  tipping_cross_design = function() {
    design <- list(strata = c(1L, 1L, 1L, 1L, 2L, 2L, 2L, 3L),
                   psu = c(1L, 1L, 2L, 3L, 4L, 5L, 5L, 6L),
                   popsize = rep(c(10, 6, 4), c(4, 3, 1)),
                   lonely_psu = "adjust")
    groups <- list(list(c(1L, 4L, 8L), c(0.5, -1, 2)), list(3L, 1),
                   list(c(2L, 5L, 6L), c(1, 2, 1.5), as.raw(c(1, 0, 0)),
                        0.7, 4.5))
    ns$tipping_cross(cbind(a = x[, "age"], b = y)[2:7, ], 2:7, 2:1, groups,
                     design, 1:8)
  },
  split_rows = function() {
    ns$split_rows(c(5L, 3L, 9L, 1L, 7L), c(2L, NA, 1L, 2L, 3L), 4L)
  },
  stage_gradient_rows = function() {
    # a wave's derivatives read as rows of a larger matrix (ipw_gee())
    wt <- c(1, 2, 1.5, 1, 1, 2, 1, 1)
    feeds <- list(list(rows = c(1L, 3L, 4L), m = matrix(as.double(1:12), 4L),
                       wt = wt, sel = c(4L, 1L, 2L)))
    .Call(ns$C_stage_gradient, x, rep(0.5, 8), 1:8, feeds, 8L, 3L)
  },
  stage_gradient_columns = function() {
    # a wave's weights as a column of the weights matrix, read in place
    # (NA read as 0)
    wts <- cbind(c(1, 2, NA, 1, 1, 2, 1, 1), c(2, NA, 1, 1, 3, 1, 1, 2))
    feeds <- list(list(rows = c(1L, 3L, 4L), m = matrix(as.double(1:12), 4L),
                       wt = list(wts, 2L), sel = c(4L, 1L, 2L)),
                  list(rows = c(2L, 3L, 5L), col = c(1L, 3L, 3L),
                       v = c(0.5, -1, 2), wt = list(wts, 1L)))
    .Call(ns$C_stage_gradient, x, rep(0.5, 8), 1:8, feeds, 8L, 3L)
  },
  wave_means_sandwich = function() {
    wave_means(boot_w, "y", min_n = 1)
  },
  gee_fit = function() {
    # clusters of 3, 2 and 3 rows; every output
    ns$gee_call(x, x[, "age"] / 10, rep(c(1, 1.5), 4), c(1, 2, 3, 1, 2, 1, 2, 3),
                c(3L, 2L, 3L), ns$gee_family("gaussian"), "exchangeable",
                list(maxit = 50, epsilon = 1e-10), want = c(TRUE, TRUE, FALSE))
  },
  gee_fit_lean = function() {
    # no fitted values and no weight derivatives (NULL in the result)
    ns$gee_call(x, y, rep(c(1, 1.5), 4), double(), c(3L, 2L, 3L),
                ns$gee_family("binomial"), "independence",
                list(maxit = 50, epsilon = 1e-10), want = c(FALSE, FALSE, FALSE))
  },
  gee_fit_overwrite = function() {
    # the derivatives written over (a copy of) the model matrix
    xx <- x + 0
    ns$gee_call(xx, y, rep(c(1, 1.5), 4), double(), c(3L, 2L, 3L),
                ns$gee_family("binomial"), "independence",
                list(maxit = 50, epsilon = 1e-10), want = c(FALSE, TRUE, TRUE))
  },
  gee_fit_compressed = function() {
    # a compressed model matrix (its distinct rows, each row's code from
    # 0), the derivatives as the two factors per row
    xc <- x[c(1, 2, 4), ]
    attr(xc, "code") <- c(0L, 1L, 0L, 2L, 1L, 0L, 2L, 1L)
    ns$gee_call(xc, y, rep(c(1, 1.5), 4), double(), c(3L, 2L, 3L),
                ns$gee_family("binomial"), "independence",
                list(maxit = 50, epsilon = 1e-10),
                want = c(TRUE, TRUE, TRUE, TRUE))
  },
  stage_gradient_factors = function() {
    # an independence GEE's derivatives as factors, with a compressed
    # model matrix, read at a wave's answers (found by their wave codes)
    feeds <- list(list(person = c(1L, 1L, 2L, 3L, 3L, 5L),
                       x = x[1:3, ], code = c(0L, 2L, 1L, 1L, 0L, 2L),
                       a = c(1, 0.5, 2, 1, 1.5, 1), r = c(0.2, -1, 0.4, 1, 0, 2),
                       w = c(1, 2, 1.5, 1, 1, 2), wt = rep(1.5, 8),
                       wave = c(1L, 2L, 2L, 1L, 2L, NA), t = 2L))
    .Call(ns$C_stage_gradient, x, rep(0.5, 8), 1:8, feeds, 8L, 3L)
  }
)

# names given on the command line: only those calls
only <- commandArgs(trailingOnly = TRUE)
if (length(only)) {
  unknown <- setdiff(only, names(calls))
  if (length(unknown)) stop("no such call: ", paste(unknown, collapse = ", "))
  calls <- calls[only]
}
failed <- character()
for (name in names(calls)) {
  expected <- outcome(calls[[name]])
  started <- proc.time()[["elapsed"]]
  got <- tortured(calls[[name]])
  took <- proc.time()[["elapsed"]] - started
  same <- identical(got, expected)
  failed_call <- identical(names(expected), c("class", "message"))
  kind <- if (failed_call) "error" else "value"
  cat(sprintf("%-22s %-5s %-9s %6.1f s\n", name, kind,
              if (same) "identical" else "DIFFERS", took))
  if (!same) failed <- c(failed, name)
}
if (length(failed) > 0L) {
  cat("gctorture: results differ under torture for:",
      paste(failed, collapse = ", "), "\n")
  quit(status = 1)
}
cat(sprintf("gctorture: %d entry-point calls clean\n", length(calls)))
