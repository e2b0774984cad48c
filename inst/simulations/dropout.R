# Does the weighting work? A simulation study of dropout shaped like
# INCREASE VS.
#
# Run from the package root, with the package installed:
#   Rscript inst/simulations/dropout.R [replications] [cores] [seed]
# (defaults 500, 2, 20240611). Writes inst/simulations/dropout_results.rds
# next to this script. The results do not depend on the number of cores:
# every replication has its own random-number stream.
#
# Sourcing the file into an environment other than the global one
# (source(path, local = new.env())) only defines the functions below, so
# the vignette "Does the weighting work?" can run a few replications live.
#
# THE PANEL ----------------------------------------------------------------
#
# 1,250 people answer the baseline survey (T1), as the 1,249 T1 respondents
# of INCREASE VS did. Each has an approach (integrated, parallel,
# collaborative, collective, in the shares of the T1 sample: 43.2, 27.9,
# 15.6 and 13.2%), a gender, an age and a number of months out of work,
# and an unobserved self-efficacy s ~ N(0, 1). Two outcomes are followed at
# T1, T2 (right after training) and T3 (six months later):
#
# * wellbeing, on the scale of the MHC-SF total (mean 34 at T1):
#     y1 = 34 + 6 s - 0.05 (months - 18) + 0.05 (age - 40) + N(0, 8^2)
#     y2 = y1 + g2[approach] + 3 [moved into work by T2] + 2 u + N(0, 4^2)
#     y3 = y2 + g3[approach] + 3 [moved into work T2 -> T3] + u + N(0, 4^2)
#   g2 = (5, 6, 4.5, 4), g3 = (1.5, 2, 2, 1) for the four approaches and
#   u ~ N(0, 1) a person's own response to the programme;
# * employed (0/1, in work or self-employed): 8% at T1; a person not in
#   work moves into work with probability
#   plogis(a[approach] + 0.9 s - 0.02 (months - 18)), with
#   a = (-1.5, -1.6, 0, -2.1) by T2 and (-1.4, -1.6, -1.5, -2.6) from T2 to
#   T3 (the collaborative approach does much better right after training),
#   and stays in work with probability 0.97 (T2) and 0.92 (T3).
#
# The targets are the population mean wellbeing and employment rate at T3
# (41.7 and 39.5%, near the full-response figures behind the
# synthetic increase_vs data: 41.3 and 39.0%) and the mean change in
# wellbeing from T1 to T3 (7.7); they are computed once on a
# population of 1,000,000 people.
#
# DROPOUT ------------------------------------------------------------------
#
# Monotone, as in INCREASE VS: of the T1 respondents 34.4% answer T2 (430 of
# 1,249) and of those 67.4% answer T3 (290 of 430), so about 430 and 290 of
# the 1,250 remain. Three mechanisms, each a logistic model for answering
# wave t among the respondents of wave t - 1, with intercepts set on the
# population so that the response rates are those above:
#
# * MCAR: a constant probability.
# * MAR: the log-odds fall with months out of work, rise with age, being a
#   woman and the approach (collective +0.2, collaborative -0.4 / -0.3,
#   parallel -0.1 / 0),
#   rise with the previous wave's wellbeing (+0.05 a point, about +0.5 a
#   standard deviation) and fall if the person was in work at the previous
#   wave (-1.5 at T2, -1.2 at T3: people in work have less time for
#   questionnaires). Everything the model uses is observed
#   for everyone at risk: missing at random given the history.
# * MNAR: the MAR model plus the outcomes of the wave itself, as the
#   evaluators feared: +0.08 a point of wellbeing gained since the previous
#   wave, and -0.7 if the person is in work at the wave. These are
#   unobserved for those who drop out.
#
# ESTIMATORS ---------------------------------------------------------------
#
# In each replication and for each mechanism, with the covariates
# ~ approach + female + age + months and history = c("wellbeing",
# "employed") (the previous wave's answers):
#
# * complete_case: wave_means(estimator = "complete_case"), unweighted
#   means of the T3 respondents with their usual (naive) intervals; for the
#   change, the plain mean change of the T3 respondents with its normal
#   interval (panel_change() always weights).
# * ipw: attrition_weights(method = "logit") and wave_means() /
#   panel_change(), sandwich variances.
# * aipw: the same weights, wave_means(estimator = "aipw") (sequential
#   outcome regressions on the same covariates and history). panel_change()
#   has no doubly robust estimator, so the change is not estimated by AIPW.
# * calibration: attrition_weights(method = "calibrate", calfun =
#   "raking"), monotone with history (each wave's respondents reproduce the
#   weighted totals of the previous wave's), sandwich variances.
#
# The response models of ipw are correctly specified under MCAR and MAR;
# raking implies a slightly different response model, and the outcome
# regressions of aipw are only approximately right (the outcome models are
# linear, the truth is not quite).
#
# SUMMARIES ----------------------------------------------------------------
#
# For each mechanism, estimator and target: mean estimate, bias, empirical
# SD, mean standard error, RMSE and coverage of the 95% intervals, with
# Monte Carlo standard errors of the bias, RMSE (delta method) and coverage.
# An estimate the package fails to give (an error) is recorded with its
# message (`runs$error`, `failures`) and counted in `failed`; the summaries
# are over the replications that gave an estimate.
#
# The saved list (dropout_results.rds) holds `summary` (one row per
# mechanism, estimator and target: truth, reps, failed, mean_estimate,
# bias, bias_mcse, emp_sd, mean_se, rmse, rmse_mcse, coverage,
# coverage_mcse, mean_n_T3), `failures` (counts of each kind of error),
# `runs` (one row per replication, mechanism, estimator and target:
# estimate, std_error, covers (did the 95% interval cover the truth),
# n_T2, n_T3, error), `truth` and `truth_mcse`, the response model
# `intercepts`, `settings`, `seed`, `replications`, `cores`,
# `elapsed_seconds`, `date`, `package_version` and `r_version`.
#
# Known failure (panelattrition 0.1.0, as of commit 76b2d0c):
# wave_means(w, "employed", estimator = "aipw") stops with "The outcome
# regression predicting level 1 is separated: ..." when, among the T2
# respondents, being in work at T1 predicts being in work at T2 (almost)
# perfectly, as it often does when 97% of people in work stay in work.
# That regression serves the T2 estimate only, but wave_means() estimates
# every wave at once, so the T3 estimate is lost with it. (Rarely, the
# regression for T3 itself, "level 2", is separated.) (Before that
# commit the same cases, fewer of them, stopped in solve() with "system is
# computationally singular".) This script makes the call a user would
# make and records the failures, so the AIPW employment rows are
# conditional on the call succeeding.

# Setting -------------------------------------------------------------------

APPROACHES <- c("integrated", "parallel", "collaborative", "collective")
APPROACH_SHARES <- c(0.432, 0.279, 0.156, 0.133)
N_BASELINE <- 1250L
RETENTION <- c(T2 = 430 / 1249, T3 = 290 / 430)
MECHANISMS <- c("MCAR", "MAR", "MNAR")
ESTIMATORS <- c("complete_case", "ipw", "aipw", "calibration")
COVARIATES <- ~ approach + female + age + months
HISTORY <- c("wellbeing", "employed")

# Everyone's outcomes at the three waves (before anyone drops out).
simulate_people <- function(n) {
  approach <- factor(sample(APPROACHES, n, replace = TRUE,
                            prob = APPROACH_SHARES), levels = APPROACHES)
  a <- as.integer(approach)
  female <- as.integer(stats::runif(n) < 0.6)
  age <- pmin(pmax(round(stats::rnorm(n, 40, 11)), 18), 65)
  months <- pmin(round(stats::rexp(n, 1 / 18)), 120)
  s <- stats::rnorm(n)
  u <- stats::rnorm(n)
  y1 <- 34 + 6 * s - 0.05 * (months - 18) + 0.05 * (age - 40) +
    stats::rnorm(n, 0, 8)
  e1 <- as.integer(stats::runif(n) < stats::plogis(-2.6 + 0.5 * s -
                                                     0.02 * (months - 18)))
  move <- function(intercept) {
    stats::runif(n) < stats::plogis(intercept[a] + 0.9 * s -
                                      0.02 * (months - 18))
  }
  moved2 <- e1 == 0 & move(c(-1.5, -1.6, 0, -2.1))
  e2 <- as.integer(moved2 | (e1 == 1 & stats::runif(n) < 0.97))
  moved3 <- e2 == 0 & move(c(-1.4, -1.6, -1.5, -2.6))
  e3 <- as.integer(moved3 | (e2 == 1 & stats::runif(n) < 0.92))
  y2 <- y1 + c(5, 6, 4.5, 4)[a] + 3 * moved2 + 2 * u + stats::rnorm(n, 0, 4)
  y3 <- y2 + c(1.5, 2, 2, 1)[a] + 3 * moved3 + u + stats::rnorm(n, 0, 4)
  data.frame(approach, female, age, months, y1, y2, y3, e1, e2, e3)
}

# Linear predictors of answering T2 (among T1 respondents) and T3 (among
# T2 respondents), without intercept.
response_index <- function(p, mechanism) {
  a <- as.integer(p$approach)
  if (mechanism == "MCAR") {
    return(list(T2 = numeric(nrow(p)), T3 = numeric(nrow(p))))
  }
  i2 <- c(0, -0.1, -0.4, 0.2)[a] + 0.25 * p$female + 0.02 * (p$age - 40) -
    0.015 * (p$months - 18) + 0.05 * (p$y1 - 34) - 1.5 * p$e1
  i3 <- c(0, 0, -0.3, 0.2)[a] + 0.15 * p$female + 0.02 * (p$age - 40) -
    0.01 * (p$months - 18) + 0.05 * (p$y2 - 40) - 1.2 * p$e2
  if (mechanism == "MNAR") {
    i2 <- i2 + 0.08 * (p$y2 - p$y1) - 0.7 * p$e2
    i3 <- i3 + 0.08 * (p$y3 - p$y2) - 0.7 * p$e3
  }
  list(T2 = i2, T3 = i3)
}

# Intercepts giving the INCREASE VS retention rates in a large population.
response_intercepts <- function(pop) {
  out <- list()
  for (m in MECHANISMS) {
    idx <- response_index(pop, m)
    a2 <- stats::uniroot(function(a) mean(stats::plogis(a + idx$T2)) -
                           RETENTION[["T2"]], c(-10, 10), tol = 1e-10)$root
    p2 <- stats::plogis(a2 + idx$T2)
    # among T2 respondents: weight everyone by their chance to be one
    a3 <- stats::uniroot(function(a) {
      stats::weighted.mean(stats::plogis(a + idx$T3), p2) - RETENTION[["T3"]]
    }, c(-10, 10), tol = 1e-10)$root
    out[[m]] <- c(T2 = a2, T3 = a3)
  }
  out
}

# The observed long data under one mechanism.
drop_out <- function(p, mechanism, intercepts) {
  n <- nrow(p)
  idx <- response_index(p, mechanism)
  a <- intercepts[[mechanism]]
  r2 <- stats::runif(n) < stats::plogis(a[["T2"]] + idx$T2)
  r3 <- r2 & stats::runif(n) < stats::plogis(a[["T3"]] + idx$T3)
  ids <- sprintf("P%04d", seq_len(n))
  base <- p[c("approach", "female", "age", "months")]
  long <- rbind(
    data.frame(id = ids, wave = "T1", base, wellbeing = p$y1,
               employed = p$e1),
    data.frame(id = ids, wave = "T2", base, wellbeing = p$y2,
               employed = p$e2)[r2, ],
    data.frame(id = ids, wave = "T3", base, wellbeing = p$y3,
               employed = p$e3)[r3, ]
  )
  long$wave <- factor(long$wave, levels = c("T1", "T2", "T3"))
  long
}

TARGETS <- c("wellbeing_T3", "employed_T3", "change_T1_T3")

# The four estimators on one observed panel: one row per estimator and
# target with estimate, std_error, conf_low, conf_high, and `error`, the
# message of the error if the package failed to give that estimate (then
# the other columns are NA). Each estimate is computed on its own, so a
# failure of one does not lose the others.
estimate_all <- function(long) {
  attempt <- function(expr) {
    tryCatch(expr, error = function(e) conditionMessage(e))
  }
  panel <- panelattrition::panel_data(
    long, id = "id", wave = "wave",
    baseline = c("approach", "female", "age", "months"))
  w_ipw <- attempt(panelattrition::attrition_weights(
    panel, COVARIATES, method = "logit", history = HISTORY))
  w_cal <- attempt(panelattrition::attrition_weights(
    panel, COVARIATES, method = "calibrate", calfun = "raking",
    history = HISTORY))
  # T3 row of a wave_means() table
  mean_t3 <- function(w, outcome, estimator) {
    if (is.character(w)) return(w)
    attempt({
      est <- panelattrition::wave_means(w, outcome, estimator = estimator)
      est[est$wave == "T3", ]
    })
  }
  change <- function(w) {
    if (is.character(w)) return(w)
    attempt(panelattrition::panel_change(w, "wellbeing", from = "T1",
                                         to = "T3"))
  }
  # complete cases' change: panel_change() always weights, so the plain
  # mean change of the T3 respondents, with its normal interval
  cc_change <- function() {
    wide <- stats::reshape(long[c("id", "wave", "wellbeing")],
                           idvar = "id", timevar = "wave",
                           direction = "wide")
    d13 <- wide$wellbeing.T3 - wide$wellbeing.T1
    d13 <- d13[!is.na(d13)]
    se13 <- stats::sd(d13) / sqrt(length(d13))
    z <- stats::qnorm(0.975)
    data.frame(estimate = mean(d13), std_error = se13,
               conf_low = mean(d13) - z * se13,
               conf_high = mean(d13) + z * se13)
  }
  cells <- list(
    complete_case = list(
      wellbeing_T3 = mean_t3(w_ipw, "wellbeing", "complete_case"),
      employed_T3 = mean_t3(w_ipw, "employed", "complete_case"),
      change_T1_T3 = cc_change()),
    ipw = list(
      wellbeing_T3 = mean_t3(w_ipw, "wellbeing", "ipw"),
      employed_T3 = mean_t3(w_ipw, "employed", "ipw"),
      change_T1_T3 = change(w_ipw)),
    # panel_change() has no doubly robust estimator
    aipw = list(
      wellbeing_T3 = mean_t3(w_ipw, "wellbeing", "aipw"),
      employed_T3 = mean_t3(w_ipw, "employed", "aipw")),
    calibration = list(
      wellbeing_T3 = mean_t3(w_cal, "wellbeing", "ipw"),
      employed_T3 = mean_t3(w_cal, "employed", "ipw"),
      change_T1_T3 = change(w_cal))
  )
  cols <- c("estimate", "std_error", "conf_low", "conf_high")
  rows <- list()
  for (e in names(cells)) {
    for (tg in names(cells[[e]])) {
      x <- cells[[e]][[tg]]
      failed <- is.character(x)
      vals <- if (failed) as.list(rep(NA_real_, 4)) else
        as.list(as.data.frame(x)[1, cols])
      names(vals) <- cols
      rows[[length(rows) + 1L]] <- data.frame(
        estimator = e, target = tg, vals,
        error = if (failed) x else NA_character_,
        stringsAsFactors = FALSE)
    }
  }
  do.call(rbind, rows)
}

# One replication: one set of people, dropped out three ways.
one_replication <- function(r, intercepts, mechanisms = MECHANISMS,
                            n = N_BASELINE) {
  p <- simulate_people(n)
  out <- list()
  for (m in mechanisms) {
    long <- drop_out(p, m, intercepts)
    est <- estimate_all(long)
    est$mechanism <- m
    est$replication <- r
    est$n_T2 <- sum(long$wave == "T2")
    est$n_T3 <- sum(long$wave == "T3")
    out[[m]] <- est
  }
  do.call(rbind, out)
}

# Truths, from a large population.
population_truth <- function(pop) {
  c(wellbeing_T3 = mean(pop$y3), employed_T3 = mean(pop$e3),
    change_T1_T3 = mean(pop$y3 - pop$y1))
}

# Bias, RMSE and coverage with Monte Carlo standard errors.
summarise_runs <- function(runs, truth) {
  keys <- unique(runs[c("mechanism", "estimator", "target")])
  rows <- lapply(seq_len(nrow(keys)), function(k) {
    s <- runs[runs$mechanism == keys$mechanism[k] &
                runs$estimator == keys$estimator[k] &
                runs$target == keys$target[k], ]
    th <- truth[[keys$target[k]]]
    failed <- sum(!is.na(s$error))
    s <- s[is.na(s$error), ]
    err <- s$estimate - th
    reps <- length(err)
    mse <- mean(err^2)
    cover <- s$conf_low <= th & th <= s$conf_high
    data.frame(
      mechanism = keys$mechanism[k], estimator = keys$estimator[k],
      target = keys$target[k], truth = th, reps = reps, failed = failed,
      mean_estimate = mean(s$estimate),
      bias = mean(err), bias_mcse = stats::sd(err) / sqrt(reps),
      emp_sd = stats::sd(s$estimate), mean_se = mean(s$std_error),
      rmse = sqrt(mse),
      rmse_mcse = stats::sd(err^2) / sqrt(reps) / (2 * sqrt(mse)),
      coverage = mean(cover),
      coverage_mcse = sqrt(mean(cover) * (1 - mean(cover)) / reps),
      mean_n_T3 = mean(s$n_T3)
    )
  })
  out <- do.call(rbind, rows)
  out$mechanism <- factor(out$mechanism, levels = MECHANISMS)
  out$estimator <- factor(out$estimator, levels = ESTIMATORS)
  out$target <- factor(out$target, levels = TARGETS)
  out <- out[order(out$target, out$mechanism, out$estimator), ]
  rownames(out) <- NULL
  out
}

# The replications as saved: whether each interval covered the truth
# instead of its limits, factors, and fewer digits, to keep the file small.
compact_runs <- function(runs, truth) {
  th <- truth[runs$target]
  data.frame(
    mechanism = factor(runs$mechanism, levels = MECHANISMS),
    replication = runs$replication,
    estimator = factor(runs$estimator, levels = ESTIMATORS),
    target = factor(runs$target, levels = TARGETS),
    estimate = signif(runs$estimate, 6),
    std_error = signif(runs$std_error, 4),
    covers = runs$conf_low <= th & th <= runs$conf_high,
    n_T2 = runs$n_T2, n_T3 = runs$n_T3,
    error = factor(runs$error)
  )
}

# Main -----------------------------------------------------------------------

run_simulation <- function(reps = 500L, cores = 2L, seed = 20240611L,
                           pop_size = 1e6) {
  RNGkind("L'Ecuyer-CMRG")
  set.seed(seed)
  pop <- simulate_people(pop_size)
  truth <- population_truth(pop)
  truth_mcse <- c(wellbeing_T3 = stats::sd(pop$y3),
                  employed_T3 = stats::sd(pop$e3),
                  change_T1_T3 = stats::sd(pop$y3 - pop$y1)) /
    sqrt(pop_size)
  intercepts <- response_intercepts(pop)
  rm(pop)
  # one stream per replication, so results do not depend on `cores`
  streams <- vector("list", reps)
  s <- .Random.seed
  for (r in seq_len(reps)) {
    s <- parallel::nextRNGStream(s)
    streams[[r]] <- s
  }
  run_one <- function(r) {
    assign(".Random.seed", streams[[r]], envir = globalenv())
    one_replication(r, intercepts)
  }
  started <- Sys.time()
  runs <- if (cores > 1L && .Platform$OS.type == "unix") {
    parallel::mclapply(seq_len(reps), run_one, mc.cores = cores,
                       mc.preschedule = TRUE)
  } else {
    lapply(seq_len(reps), run_one)
  }
  failed <- vapply(runs, inherits, logical(1), "try-error")
  if (any(failed)) {
    stop(sprintf("%d replications failed, the first with: %s", sum(failed),
                 as.character(runs[[which(failed)[1]]])))
  }
  runs <- do.call(rbind, runs)
  rownames(runs) <- NULL
  elapsed <- as.numeric(difftime(Sys.time(), started, units = "secs"))
  bad <- runs[!is.na(runs$error), ]
  # one row per kind of error: numbers such as condition numbers vary
  bad$error <- gsub("[0-9.]+e[-+]?[0-9]+", "<x>", trimws(bad$error))
  failures <- if (nrow(bad)) {
    stats::aggregate(list(count = rep(1L, nrow(bad))),
                     bad[c("mechanism", "estimator", "target", "error")],
                     length)
  } else {
    data.frame(mechanism = character(), estimator = character(),
               target = character(), error = character(), count = integer())
  }
  list(
    summary = summarise_runs(runs, truth),
    failures = failures,
    runs = compact_runs(runs, truth),
    truth = truth, truth_mcse = truth_mcse,
    intercepts = intercepts,
    settings = list(n_baseline = N_BASELINE, retention = RETENTION,
                    covariates = COVARIATES, history = HISTORY,
                    pop_size = pop_size),
    seed = seed, replications = reps, cores = cores,
    elapsed_seconds = elapsed, date = Sys.Date(),
    package_version = as.character(utils::packageVersion("panelattrition")),
    r_version = R.version.string
  )
}

if (identical(environment(), globalenv()) && !interactive()) {
  suppressPackageStartupMessages(library(panelattrition))
  args <- commandArgs(trailingOnly = TRUE)
  reps <- if (length(args) >= 1L) as.integer(args[1]) else 500L
  cores <- if (length(args) >= 2L) as.integer(args[2]) else 2L
  seed <- if (length(args) >= 3L) as.integer(args[3]) else 20240611L
  file_arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  here <- if (length(file_arg)) {
    dirname(normalizePath(sub("^--file=", "", file_arg[1])))
  } else {
    file.path("inst", "simulations")
  }
  res <- run_simulation(reps = reps, cores = cores, seed = seed)
  out_file <- file.path(here, "dropout_results.rds")
  saveRDS(res, out_file, compress = "xz")
  cat(sprintf(paste("%d replications x 3 mechanisms of n = %d, seed %d,",
                    "%d cores: %.0f s. Written to %s\n"),
              reps, N_BASELINE, seed, cores, res$elapsed_seconds, out_file))
  cat("Truth:", paste(names(res$truth), signif(res$truth, 4), sep = " = ",
                      collapse = ", "), "\n")
  tab <- res$summary
  num <- vapply(tab, is.double, logical(1))
  tab[num] <- lapply(tab[num], signif, 3)
  print(tab[c("mechanism", "estimator", "target", "reps", "failed", "bias",
              "bias_mcse", "emp_sd", "mean_se", "rmse", "coverage",
              "coverage_mcse")],
        row.names = FALSE)
  if (nrow(res$failures)) {
    cat("\nEstimates the package failed to give:\n")
    print(res$failures, row.names = FALSE)
  }
}
