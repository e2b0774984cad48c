# Identity harness: a fixed set of calls covering every exported function,
# run on the installed package, whose results must not change under a
# refactoring.
#
#   R_LIBS=.lib Rscript tools/identity.R save    /tmp/baseline.rds
#   R_LIBS=.lib Rscript tools/identity.R compare /tmp/baseline.rds
#
# Each call's result is recorded as its value (or, for an error, the
# error's classes and the `argument` it names) together with the classes
# of the warnings it raised. Before comparing, results are normalised:
# - `call` elements and attributes are dropped (match.call() records how
#   the function was called, not what it computed; renamed arguments such
#   as ipw_gee(w = ) change it);
# - functions become their deparsed formals and body, and environments
#   (of formulas, terms, closures) are dropped: an environment is compared
#   by address, which differs between any two R sessions;
# - warnings of class "panelattrition_deprecated" are not recorded: they
#   are the announced messages for old argument names.
# Nothing else is excluded: weights, stages, fits, estimates, standard
# errors, bootstrap replicates and sensitivity grids are compared with
# identical().

args <- commandArgs(trailingOnly = TRUE)
mode <- if (length(args)) args[1] else "compare"
file <- if (length(args) > 1L) args[2] else "/tmp/arch-baseline.rds"
suppressPackageStartupMessages(library(panelattrition))

normalise <- function(x) {
  if (is.function(x)) {
    return(list(fun = deparse(formals(x)), body = deparse(body(x))))
  }
  if (is.environment(x)) return("<environment>")
  if (inherits(x, "formula") || inherits(x, "terms")) {
    attr(x, ".Environment") <- NULL
  }
  a <- attributes(x)
  if (!is.null(a)) {
    a$call <- NULL
    if (!is.null(a$.Environment)) a$.Environment <- NULL
    for (k in setdiff(names(a), c("names", "dim", "dimnames", "class",
                                  "row.names", "levels"))) {
      a[[k]] <- normalise(a[[k]])
    }
  }
  if (is.list(x) && !is.data.frame(x) || is.data.frame(x)) {
    keep <- if (is.null(names(x))) rep(TRUE, length(x)) else names(x) != "call"
    x <- lapply(unclass(x)[keep], normalise)
    if (!is.null(a$names)) a$names <- a$names[keep]
  }
  if (is.pairlist(x) && !is.null(x)) x <- as.list(x)
  if (!is.null(a)) attributes(x) <- a
  x
}

record <- function(expr) {
  warns <- character()
  value <- withCallingHandlers(
    tryCatch(expr, error = function(e) {
      list(error = class(e), argument = e$argument)
    }),
    warning = function(w) {
      if (!inherits(w, "panelattrition_deprecated")) {
        warns <<- c(warns, paste(class(w), collapse = "/"))
      }
      invokeRestart("muffleWarning")
    }
  )
  list(value = normalise(value), warnings = warns)
}

# Data ------------------------------------------------------------------------

sim <- function(n = 400, seed = 7, frame_extra = 0, intermittent = FALSE) {
  set.seed(seed)
  m <- n + frame_extra
  g <- factor(sample(c("a", "b", "c"), m, replace = TRUE))
  age <- round(stats::runif(m, 18, 65))
  bw <- stats::runif(m, 1, 3)
  # outcomes: a random walk from a baseline level
  y1 <- stats::rnorm(m, 50 + 5 * (g == "b") + 0.1 * age, 10)
  steps <- lapply(c(2, 1), function(mu) stats::rnorm(m, mu, 5))
  y2 <- y1 + steps[[1]]
  y3 <- y2 + steps[[2]]
  # response: at the first wave only with a frame, then MAR given y
  u1 <- if (frame_extra > 0) stats::runif(m)
  r1 <- if (is.null(u1)) rep(TRUE, m) else
    u1 < stats::plogis(0.8 + 0.5 * (g == "a") - 0.01 * (age - 40))
  lp2 <- 0.3 - 0.02 * (age - 40) + 0.6 * (g == "c") + 0.04 * (y1 - 55)
  r2 <- r1 & stats::runif(m) < stats::plogis(lp2)
  p3 <- stats::runif(m) < stats::plogis(0.4 + 0.05 * (y2 - 57))
  r3 <- if (intermittent) r1 & p3 else r2 & p3
  ids <- sprintf("id%04d", seq_len(m))
  emp <- function(y) factor(ifelse(y > 55, "employed", "not"))
  long <- rbind(
    data.frame(id = ids, wave = "T1", g = g, age = age, bw = bw, y = y1,
               yb = as.numeric(y1 > 55), emp = emp(y1))[r1, ],
    data.frame(id = ids, wave = "T2", g = g, age = age, bw = bw, y = y2,
               yb = as.numeric(y2 > 57), emp = emp(y2))[r2, ],
    data.frame(id = ids, wave = "T3", g = g, age = age, bw = bw, y = y3,
               yb = as.numeric(y3 > 58), emp = emp(y3))[r3, ]
  )
  list(long = long, frame = data.frame(id = ids, g = g, age = age, bw = bw))
}

s <- sim()
sf <- sim(n = 300, seed = 8, frame_extra = 150)
si <- sim(seed = 9, intermittent = TRUE)
na_long <- s$long
na_long$age[na_long$id %in% sprintf("id%04d", 1:12)] <- NA

files <- c(
  T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
  T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
  T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
)

R <- list()
run <- function(name, expr) {
  R[[name]] <<- record(expr)
  invisible()
}
val <- function(name) R[[name]]$value
raw <- new.env()
keep <- function(name, expr) {
  v <- tryCatch(expr, error = function(e) NULL)
  assign(name, v, envir = raw)
  R[[name]] <<- record(v)
  v
}

bc <- boot_control(B = 30, seed = 11, threads = 1L)

# Reading and panels ------------------------------------------------------------
run("libcsv_version", libcsv_version())
run("read_survey", read_survey(files[["T1"]]))
answers <- keep("read_waves", read_waves(files, id = "id"))
run("panel_ext", panel_data(answers, id = "id", wave = "wave",
                            baseline = c("group", "gender", "age")))
p <- keep("panel", panel_data(s$long, id = "id", wave = "wave",
                              baseline = c("g", "age", "bw")))
pf <- keep("panel_frame", panel_data(sf$long, id = "id", wave = "wave",
                                     frame = sf$frame,
                                     baseline = c("g", "age", "bw")))
pi <- keep("panel_intermittent", panel_data(si$long, id = "id", wave = "wave",
                                            baseline = c("g", "age", "bw")))
pna <- keep("panel_na", panel_data(na_long, id = "id", wave = "wave",
                                   baseline = c("g", "age")))
run("response_pattern", response_pattern(pi))
run("err_panel_id", panel_data(s$long, id = "nope", wave = "wave"))

# Weights -------------------------------------------------------------------------
f <- ~ g + age
w <- keep("w_logit", attrition_weights(p, f))
keep("w_firth", attrition_weights(p, f, method = "firth"))
keep("w_cal_raking", attrition_weights(p, f, method = "calibrate"))
keep("w_cal_linear", attrition_weights(p, f, method = "calibrate",
                                       calfun = "linear"))
keep("w_cal_logit", attrition_weights(p, f, method = "calibrate",
                                      calfun = "logit", bounds = c(0.2, 5)))
wk <- keep("w_cal_kott", attrition_weights(p, f, method = "calibrate",
                                           calfun = "kott"))
wh <- keep("w_history", attrition_weights(p, f, history = "y"))
keep("w_history_lags", attrition_weights(p, f, history = "y",
                                         history_lags = 2))
keep("w_history_inf_firth", attrition_weights(p, f, history = "y",
                                              history_lags = Inf,
                                              method = "firth"))
keep("w_history_kott", attrition_weights(p, f, history = "y",
                                         method = "calibrate",
                                         calfun = "kott"))
wf <- keep("w_frame", attrition_weights(pf, f))
keep("w_frame_firth", attrition_weights(pf, f, method = "firth"))
keep("w_frame_cal", attrition_weights(pf, f, method = "calibrate"))
keep("w_frame_kott", attrition_weights(pf, f, method = "calibrate",
                                       calfun = "kott"))
mm <- colSums(stats::model.matrix(f, sf$frame)) * 1.1
wm <- keep("w_frame_margins", attrition_weights(pf, f, margins = mm))
wi <- keep("w_intermittent", attrition_weights(pi, f, monotone = FALSE))
keep("w_intermittent_kott", attrition_weights(pi, f, monotone = FALSE,
                                              method = "calibrate",
                                              calfun = "kott"))
keep("w_intermittent_firth", attrition_weights(pi, f, monotone = FALSE,
                                               method = "firth"))
wn <- keep("w_numerator", attrition_weights(p, f, numerator = ~ g))
keep("w_numerator_frame", attrition_weights(pf, f, numerator = ~ g))
keep("w_trim", attrition_weights(p, f, trim = 0.95))
keep("w_cap", attrition_weights(p, f, cap = 2))
keep("w_nostab", attrition_weights(p, f, stabilize = FALSE))
wb <- keep("w_base", attrition_weights(p, f, base = "bw"))
keep("w_na_indicator", attrition_weights(pna, f, na_action = "indicator"))
keep("w_control", attrition_weights(p, f, control = list(maxit = 50,
                                                          epsilon = 1e-8)))
keep("w_ext", attrition_weights(panel_data(answers, id = "id", wave = "wave",
                                           baseline = c("group", "gender", "age")),
                                ~ group + gender + age, monotone = FALSE))
run("err_method", attrition_weights(p, f, method = "probit"))
run("err_trim", attrition_weights(p, f, trim = 2))
run("err_history_nonmono", attrition_weights(pi, f, history = "y",
                                             monotone = FALSE))
run("err_kott_bounds", attrition_weights(p, f, method = "calibrate",
                                         calfun = "kott", bounds = c(0.5, 2)))
run("err_logit_nobounds", attrition_weights(p, f, method = "calibrate",
                                            calfun = "logit"))
run("err_monotone", attrition_weights(pi, f))
run("err_na_fail", attrition_weights(pna, f))
run("err_margins_noframe", attrition_weights(p, f, margins = mm))
run("err_numerator_cal", attrition_weights(p, f, method = "calibrate",
                                           numerator = ~ g))
run("err_two_sided", attrition_weights(p, y ~ g))

for (nm in c("w_logit", "w_firth", "w_cal_kott", "w_cal_logit", "w_frame",
             "w_frame_margins", "w_intermittent", "w_numerator",
             "w_history_lags")) {
  ww <- get(nm, envir = raw)
  run(paste0("weights_", nm), weights(ww))
  run(paste0("response_models_", nm), response_models(ww))
  run(paste0("ess_", nm), ess(ww))
  run(paste0("balance_", nm), balance(ww))
}
run("summary_w", summary(wk))
run("print_w", utils::capture.output(print(w), print(summary(w))))
run("err_response_models", response_models(p))

# Estimates -------------------------------------------------------------------------
e <- keep("wave_means_sandwich", wave_means(w, "y", by = "g"))
for (nm in c("w_firth", "w_cal_raking", "w_cal_linear", "w_cal_logit",
             "w_cal_kott", "w_history", "w_history_kott", "w_frame",
             "w_frame_margins", "w_frame_kott", "w_intermittent",
             "w_intermittent_kott", "w_base", "w_trim", "w_history_lags")) {
  run(paste0("wave_means_", nm), wave_means(get(nm, envir = raw), "y"))
}
run("wave_means_numerator", wave_means(wn, "y", by = "g"))
run("wave_means_naive", wave_means(w, c("y", "yb"), se = "naive"))
run("wave_means_beta", wave_means(w, "yb", ci = "beta", conf_level = 0.9))
run("wave_means_bootstrap", wave_means(w, "y", se = "bootstrap", control = bc))
run("wave_means_aipw", wave_means(wh, "y", estimator = "aipw"))
run("wave_means_cc", wave_means(w, "y", estimator = "complete_case"))
run("wave_means_factor", wave_means(w, "emp"))
run("err_wave_means_outcome", wave_means(w, "nope"))
run("err_wave_means_conf", wave_means(w, "y", conf_level = 2))
run("as_data_frame", as.data.frame(e))
run("vcov_estimates", vcov(e))
run("subset_estimates", e[1:2, ])

ch <- keep("panel_change", panel_change(w, "y", from = "T1", to = "T3",
                                        by = "g"))
run("panel_change_default", panel_change(wk, "y"))
run("panel_change_intermittent", panel_change(wi, "y", from = "T2", to = "T3"))
run("panel_change_boot", panel_change(w, "y", from = "T1", to = "T2",
                                      se = "bootstrap", control = bc))
run("transitions", transitions(w, "emp", from = "T1", to = "T2"))
run("transitions_by", transitions(wi, "emp", from = "T2", to = "T3", by = "g"))
run("transitions_naive", transitions(wk, "emp", from = "T1", to = "T3",
                                     se = "naive"))
run("err_transitions", transitions(w, "y", from = "T1", to = "T9"))

cg <- keep("compare_groups", compare_groups(e))
run("compare_groups_ref", compare_groups(e, ref = "b", adjust = "none"))
run("err_compare", compare_groups(e, adjust = "nope"))

gi <- keep("gee_ind", ipw_gee(y ~ g + wave, w))
run("gee_exch", ipw_gee(y ~ g + wave, w, corstr = "exchangeable"))
run("gee_binomial_naive", ipw_gee(yb ~ g, wk, family = stats::binomial(),
                                  se = "naive"))
run("gee_coef", coef(gi))
run("gee_vcov", vcov(gi))
run("gee_confint", confint(gi))
run("gee_confint90", confint(gi, level = 0.9))
run("gee_predict", predict(gi))
run("gee_nobs", nobs(gi))
run("gee_summary", summary(gi))
run("gee_wald", wald_test(gi, terms = "g"))
run("gee_anova", anova(gi))
run("err_gee", ipw_gee("y ~ wave", w))
run("err_gee_control", ipw_gee(y ~ wave, w, control = list(maxit = 0)))

# Sensitivity -------------------------------------------------------------------------
run("tipping", tipping_point(e, delta = c(-2, 0, 1), null = 50))
run("tipping_level", tipping_point(e, delta = c(-1, 1), null = 50,
                                   level = 0.9))
run("tipping_change", tipping_point(ch, delta = c(-1, 0, 1), null = 0))
run("tipping_compare", tipping_point(cg, delta = c(-1, 0)))
run("err_tipping", tipping_point(e, delta = 1))
run("tilt", tilt_sensitivity(w, "y", alpha = c(-0.05, 0, 0.05), by = "g"))
run("tilt_odds", tilt_sensitivity(w, "yb", alpha = c(-1, 0, 1),
                                  scale = "odds", level = 0.9))
run("tilt_wave", tilt_sensitivity(wh, "y", alpha = c(0, 0.1), wave = "T2"))
run("err_tilt", tilt_sensitivity(w, "y", alpha = "a"))
run("bounds", attrition_bounds(w, "yb"))
run("bounds_mono", attrition_bounds(w, "emp", category = "employed",
                                    by = "g", assume = "monotone",
                                    level = 0.9))
run("err_bounds", attrition_bounds(w, "y", assume = "nope"))

# Bootstrap and survey designs -----------------------------------------------------------
run("boot_control", boot_control(B = 10, seed = 1))
run("err_boot_control", boot_control(B = 0))
rw <- keep("replicates", replicate_weights(w, bc))
for (nm in c("w_firth", "w_cal_raking", "w_cal_linear", "w_cal_logit",
             "w_cal_kott", "w_history_kott", "w_frame", "w_frame_margins",
             "w_frame_kott", "w_intermittent", "w_numerator", "w_base")) {
  run(paste0("replicates_", nm), replicate_weights(get(nm, envir = raw), bc))
}
run("replicates_multinomial",
    replicate_weights(w, boot_control(B = 20, type = "multinomial", seed = 3,
                                       threads = 1L)))
run("combine_replicates", combine_replicates(lapply(
  split(1:30, rep(1:2, 15)),
  function(idx) replicate_weights(w, boot_control(B = 30, seed = 11,
                                                  threads = 1L, chunk = idx))
)))
run("err_combine_replicates", combine_replicates(list(rw, rw)))
run("svrep", {
  d <- as_svrepdesign(w, "T2", replicates = rw)
  list(weights = stats::weights(d, "sampling"),
       repweights = stats::weights(d, "analysis"),
       mean = survey::svymean(~ y, d))
})
run("svydesign", {
  d <- as_svydesign(w, "T3")
  survey::svymean(~ y, d)
})
run("err_svrep", as_svrepdesign(w, "T2", B = 0))

# Scales ----------------------------------------------------------------------------------
set.seed(5)
items <- as.data.frame(matrix(sample(1:5, 200 * 4, replace = TRUE), 200, 4,
                              dimnames = list(NULL, paste0("q", 1:4))))
run("score_scale", score_scale(items, paste0("q", 1:4), reverse = "q2",
                               range = c(1, 5)))
run("scale_reliability", scale_reliability(items, paste0("q", 1:4)))
run("instruments", instruments())
mhc <- as.data.frame(matrix(sample(0:5, 100 * 14, replace = TRUE), 100, 14,
                            dimnames = list(NULL, paste0("mhc", 1:14))))
run("score_instrument", score_instrument(mhc, "mhc_sf", "mhc"))
run("mhc_category", mhc_category(mhc, "mhc"))
run("err_score_scale", score_scale(items, "zz"))

# -------------------------------------------------------------------------------------------

R <- R[order(names(R))]
if (mode == "save") {
  saveRDS(R, file)
  cat(sprintf("saved %d calls to %s\n", length(R), file))
} else {
  base <- readRDS(file)
  common <- intersect(names(base), names(R))
  same <- vapply(common, function(k) identical(base[[k]], R[[k]]), logical(1))
  missing <- setdiff(names(base), names(R))
  extra <- setdiff(names(R), names(base))
  cat(sprintf("compared %d calls: %d identical, %d differ\n",
              length(common), sum(same), sum(!same)))
  if (any(!same)) cat("differ:", names(same)[!same], sep = "\n  ")
  if (length(missing)) cat("missing:", missing, sep = "\n  ")
  if (length(extra)) cat("new (not in baseline):", extra, sep = "\n  ")
  if (any(!same) || length(missing)) quit(status = 1)
}
