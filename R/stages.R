# The registry of weighting stages.
#
# A stage takes the people at risk at a wave to those who answered it. Each
# kind of stage is one entry of `stage_kinds` that carries everything the
# rest of the package needs to know about it, so that attrition_weights(),
# the sandwich (variance.R), the bootstrap (bootstrap.R) and
# response_models() never ask which kind a stage is:
#
#   fit(ctx, step, start) the stage, fitted on a step of the schedule from
#                        the starting weights `start` (everyone's)
#   weights(st, source)  the respondents' weights, from their source weights
#   log_factor(st)       a with d log w_i / d theta = a_i x_i (people at risk)
#   project(st, h)       P_s H_s of the chain rule (see estimate_influence())
#   scores_times(st, m)  U_s m: the stage's estimating functions times m
#   chain_on(st)         whether its estimating functions depend on the
#                        earlier stages that made its start weights
#   boot(st)             its description for the C bootstrap (src/boot.h)
#   chain_boot(st, w)    whether the C bootstrap starts it from the previous
#                        wave's weights
#   coefficients(st)     its rows of response_models()
#   what                 how a failed bootstrap replicate names it
#
# The calibration kinds are one per calibration function, each made from an
# entry of `calibration_functions` (its C code, F'/F, its rule for bounds);
# a new calibration function is one entry there (and one case in
# src/calibrate.c, which the bootstrap also runs). A new response model is
# one entry of `stage_kinds` with its own fit, plus a kind code in
# src/boot.h when the bootstrap must refit it in C.
#
# Stages stay plain lists (what pa_weights objects hold); stage_kind()
# finds a stage's entry from the fields it always had.

# Calibration functions -------------------------------------------------------

# `code` is the function's code in the C kernel (PA_CAL_* in
# src/calibrate.h), `ratio(g, bounds)` F'(u) / F(u) at the solution as a
# function of g = F(u), `check_bounds(bounds)` its rule for `bounds`
# (returns them, or raises a classed error), `infeasible` the advice when
# the totals cannot be reached.
calibration_functions <- list(
  raking = list(
    code = 1L,
    ratio = function(g, bounds) rep(1, length(g)),
    check_bounds = function(bounds) bounds
  ),
  linear = list(
    code = 0L,
    ratio = function(g, bounds) 1 / g,
    check_bounds = function(bounds) bounds
  ),
  logit = list(
    code = 2L,
    ratio = function(g, bounds) {
      lo <- bounds[1]
      hi <- bounds[2]
      a <- (hi - lo) / ((1 - lo) * (hi - 1))
      a * (g - lo) * (hi - g) / ((hi - lo) * g)
    },
    check_bounds = function(bounds) {
      if (is.null(bounds)) {
        pa_abort(
          paste("`bounds` must be given for `calfun = \"logit\"`, as",
                "c(lower, upper) with lower < 1 < upper, for example c(0.5, 3)."),
          class = "panelattrition_arg_error", argument = "bounds"
        )
      }
      bounds
    },
    finite_bounds = TRUE
  ),
  # F(u) = 1 + exp(u) (Kott 2006): 1 / g is a logistic response
  # probability, so the calibration equations are that response model's
  # estimating equations.
  kott = list(
    code = 3L,
    ratio = function(g, bounds) (g - 1) / g,
    check_bounds = function(bounds) {
      if (!is.null(bounds)) {
        pa_abort(
          paste("`bounds` cannot be used with `calfun = \"kott\"`: its weights",
                "are inverse logistic response probabilities, and truncating",
                "them would break that model. Leave `bounds = NULL`."),
          class = "panelattrition_arg_error", argument = "bounds"
        )
      }
      bounds
    },
    infeasible = paste(
      "With `calfun = \"kott\"` each respondent stands for themselves",
      "and some nonrespondents (response probability below 1), so every",
      "category needs someone at risk who did not answer: merge such",
      "categories, or use `calfun = \"raking\"`.")
  )
)

calfun_entry <- function(calfun) calibration_functions[[calfun]]

# F'(u) / F(u) at the solution, for the respondents of a calibration stage.
calfun_ratio <- function(st) {
  calfun_entry(st$fit$calfun)$ratio(st$fit$g, st$fit$bounds)
}

# The C kernel's code of a calibration function.
cal_fun_code <- function(calfun) calfun_entry(calfun)$code

# Stage kinds ------------------------------------------------------------------

# A model's scores are x_i r_i, so U m = r * (X m) (estimate_influence()
# forms it in C for these stages).
response_scores_times <- function(st, m) st$fit$residuals * x_b(st$x, m)

# A response model fitted by fit_stage_logit() with `method`.
response_kind <- function(method) {
  list(
    fit = function(ctx, step, start) model_stage(ctx, step, method),
    weights = function(st, source) source[st$respondents] / st$prob,
    log_factor = function(st) -(1 - st$fit$fitted),
    # J = -information, so -J^{-1} U = I^{-1} U
    project = function(st, h) st$fit$vcov %*% h,
    # a model's scores are x_i r_i, so U m = r * (X m)
    scores_times = response_scores_times,
    chain_on = function(st) FALSE,
    boot = function(st) {
      list(kind = match(method, c("logit", "firth")) - 1L, calfun = 0L,
           bounds = c(-Inf, Inf),
           # replicates start from the full sample's coefficients
           start = as.double(st$fit$coefficients), totals = NULL)
    },
    chain_boot = function(st, w) isTRUE(w$monotone) && st$wave_index > 1L,
    coefficients = function(st) {
      est <- st$fit$coefficients
      data.frame(stage = st$stage, wave = st$wave, term = names(est),
                 estimate = unname(est), std_error = unname(st$fit$std_error),
                 converged = isTRUE(st$fit$converged), note = NA_character_)
    },
    what = "response model"
  )
}

# A calibration with the calibration function `calfun`.
calibration_kind <- function(calfun) {
  fun <- calfun_entry(calfun)
  list(
    fit = function(ctx, step, start) {
      calibration_stage(ctx, step, calfun, start)
    },
    weights = function(st, source) st$weight,
    log_factor = function(st) {
      a <- numeric(length(st$risk))
      a[st$responded] <- calfun_ratio(st)
      a
    },
    project = function(st, h) -solve(t(st$fit$jacobian), h),
    scores_times = function(st, m) calibration_scores(st) %*% m,
    chain_on = function(st) identical(st$target, "previous"),
    boot = function(st) {
      list(kind = 2L, calfun = fun$code, bounds = as.double(st$fit$bounds),
           start = NULL,
           totals = if (identical(st$target, "margins")) {
             as.double(st$totals)
           })
    },
    chain_boot = function(st, w) identical(st$target, "previous"),
    coefficients = function(st) {
      est <- st$fit$lambda
      data.frame(stage = st$stage, wave = st$wave, term = names(est),
                 estimate = unname(est), std_error = NA_real_,
                 converged = isTRUE(st$fit$converged), note = NA_character_)
    },
    what = "calibration"
  )
}

# A stage at which everyone at risk answered: no model, p = 1, the weights
# carry over, nothing estimated. Such stages are kept apart from the
# others (pa_weights$complete_stages), so the variance estimators and the
# bootstrap never meet them; only the table of coefficients does.
complete_kind <- list(
  coefficients = function(st) {
    data.frame(stage = st$stage, wave = st$wave, term = NA_character_,
               estimate = NA_real_, std_error = NA_real_, converged = NA,
               note = complete_note(st))
  }
)

# A tilted stage (tilt_sensitivity(), tilt.R): the stage of the weights at
# the same wave, with the same people at risk and the same design, refitted
# with the outcome at its wave (known for the respondents, the only people
# whose weight is used) entering with a fixed coefficient alpha_i. The
# respondents' weights are s_i g_i, s the start weights, and the
# estimating equations have the form of a calibration,
# sum_i v_i (R_i g_i - 1) x_i = 0 (g = 0 for those who did not answer):
# - a tilted response model (logit or Firth): g_i = 1 / pi_i with logit
#   pi_i = x_i'gamma + alpha_i y_i, and v_i = c_i pihat_i, the stage's prior
#   weights times its fitted probabilities (`start` holds v; target
#   "instrument"). v does not depend on earlier stages, but on the stage's
#   own coefficients through pihat: that dependence (fit$ml$chain, dU/dtheta)
#   is counted here, by adding the stage's scores times I^{-1} C' P H to the
#   tilted stage's, as the chain rule of estimate_influence() would for a
#   stage chained on another.
# - a tilted calibration: g_i = F(x_i'lambda - alpha_i y_i) with the
#   calibration function F of the stage, v = s; chained on the previous
#   wave's weights as the calibration is (chain_derivative() applies as it
#   is).
# The alpha_i are fixed, not estimated.
tilted_kind <- list(
  fit = function(ctx, step, start) tilted_stage(step, start, ctx),
  weights = function(st, source) st$weight,
  log_factor = function(st) {
    a <- numeric(length(st$risk))
    a[st$responded] <- if (!is.null(st$fit$calfun)) calfun_ratio(st) else
      -(1 - 1 / st$fit$g)
    a
  },
  project = function(st, h) -solve(t(st$fit$jacobian), h),
  scores_times = function(st, m) {
    out <- calibration_scores(st) %*% m
    ml <- st$fit$ml
    if (!is.null(ml)) {
      out <- out + ml$residuals * x_b(st$x, ml$vcov %*% crossprod(ml$chain, m))
    }
    out
  },
  chain_on = function(st) identical(st$target, "previous"),
  boot = function(st) {
    pa_abort(
      paste("Bootstrap replicates cannot refit tilted stages: the C",
            "bootstrap has no selection model with a fixed outcome term.",
            "Use the sandwich standard errors of tilt_sensitivity()."),
      class = c("panelattrition_unsupported_error",
                "panelattrition_arg_error"),
      argument = "se"
    )
  },
  chain_boot = function(st, w) identical(st$target, "previous"),
  coefficients = function(st) {
    # a tilted calibration has the calibration's lambda
    est <- st$fit$coefficients %||% st$fit$lambda
    data.frame(stage = st$stage, wave = st$wave, term = names(est),
               estimate = unname(est), std_error = NA_real_,
               converged = isTRUE(st$fit$converged),
               note = "tilted (selection model with a fixed outcome term)")
  },
  what = "tilted response model"
)

stage_kinds <- c(
  list(logit = response_kind("logit"), firth = response_kind("firth"),
       complete = complete_kind, tilted = tilted_kind),
  stats::setNames(lapply(names(calibration_functions), calibration_kind),
                  paste0("calibrate_", names(calibration_functions)))
)

# The name of the stage kind a weighting `method` (and `calfun`) fits.
stage_kind_name <- function(method, calfun) {
  if (method == "calibrate") paste0("calibrate_", calfun) else method
}

# The entry of a fitted stage.
stage_kind <- function(st) {
  if (isTRUE(st$complete)) return(stage_kinds$complete)
  if (st$type == "calibrate") {
    return(stage_kinds[[paste0("calibrate_", st$fit$calfun)]])
  }
  stage_kinds[[st$type]]
}

# d log w / d theta for the people at risk in a stage is x * a (rows of
# st$x); this returns the vector a. A numerator model of stabilised
# weights multiplies the weights by its probability instead of dividing.
stage_log_factor <- function(st) {
  a <- stage_kind(st)$log_factor(st)
  if (isTRUE(st$numerator_model)) -a else a
}

# The estimating-function contributions U_si of a calibration stage, one row
# per person at risk: x_i (g_i - 1) s_i with start weights s and g = 0 for
# those who did not respond, or x_i g_i s_i - totals / n_risk for fixed
# margins.
calibration_scores <- function(st) {
  g <- numeric(length(st$risk))
  g[st$responded] <- st$fit$g
  if (identical(st$target, "margins")) {
    n_risk <- length(st$risk)
    st$x * (g * st$start) -
      matrix(st$totals / n_risk, n_risk, ncol(st$x), byrow = TRUE)
  } else {
    st$x * ((g - 1) * st$start)
  }
}

# C_sr = dU_s/dtheta_r for a calibration s chained on the previous wave's
# weights (target "previous"), whose start weights depend on stage r.
chain_derivative <- function(st, sr) {
  dstart <- matrix(0, length(st$risk), ncol(sr$x))
  pos <- match(st$risk, sr$risk)
  at <- which(!is.na(pos))
  dstart[at, ] <- sr$x[pos[at], , drop = FALSE] * stage_log_factor(sr)[pos[at]] *
    st$start[at]
  g <- numeric(length(st$risk))
  g[st$responded] <- st$fit$g
  xt_a(st$x, (g - 1) * dstart)
}

# The schedule -------------------------------------------------------------------

# The weighting context: everything fit_weights() and the stage builders
# need, checked and prepared once, instead of long argument lists.
weighting_context <- function(panel, covariates, d, formula, numerator,
                              method, monotone, history, history_lags, base,
                              margins, calfun, bounds, stabilize, trim, cap,
                              na_action, control, call,
                              labels = panel$waves,
                              answered = response_columns(panel$response)) {
  resp <- panel$response
  list(
    panel = panel, data = covariates, d = d, formula = formula,
    numerator = numerator, method = method, monotone = monotone,
    history = history, history_lags = history_lags, base = base,
    margins = margins, calfun = calfun, bounds = bounds,
    stabilize = stabilize, trim = trim, cap = cap, na_action = na_action,
    control = control, call = call, labels = labels,
    # who answered at each wave, without the row names every column of
    # `resp` would copy; `ids` the names such a column has (none for a
    # single person, whose column drops both dimensions)
    answered = answered,
    ids = if (nrow(resp) != 1L) rownames(resp),
    with_frame = isTRUE(panel$frame_given)
  )
}

# One step of the schedule: stage number, wave label, who is at risk, the
# kind of stage, and where its starting weights and targets come from
# (`source`: "base" or "previous" weights; `target`: what a calibration
# reproduces).
schedule_step <- function(stage, wave_index, label, risk, kind, source,
                          target, data, formula, totals = NULL,
                          start_wave = NULL) {
  list(stage = stage, wave_index = wave_index, label = label, risk = risk,
       kind = kind, source = source, target = target, data = data,
       formula = formula, totals = totals, start_wave = start_wave)
}

# The main stage of wave t (t = 1 only with a frame).
stage_step <- function(ctx, t, baseline_rows) {
  kind <- stage_kind_name(ctx$method, ctx$calfun)
  if (t == 1L) {
    everyone <- seq_len(nrow(ctx$panel$response))
    if (!is.null(ctx$margins)) {
      return(schedule_step(0L, 1L, ctx$panel$waves[1], everyone,
                           paste0("calibrate_", ctx$calfun), "base",
                           "margins", ctx$data, ctx$formula,
                           totals = ctx$margins))
    }
    return(schedule_step(0L, 1L, ctx$panel$waves[1], everyone, kind, "base",
                         "frame", ctx$data, ctx$formula))
  }
  label <- ctx$labels[t]
  if (!ctx$monotone) {
    return(schedule_step(t - 1L, t, label, baseline_rows, kind, "base",
                         "baseline", ctx$data, ctx$formula))
  }
  data <- ctx$data
  formula <- ctx$formula
  if (!is.null(ctx$history)) {
    hist <- stage_history(ctx$panel, ctx$history, ctx$history_lags, t,
                          ctx$na_action)
    data <- cbind(data, hist$values)
    formula <- add_terms(formula, hist$terms)
  }
  schedule_step(t - 1L, t, label, which_rows(ctx$answered[[t - 1L]], ctx$ids),
                kind, "previous", "previous", data, formula,
                start_wave = ctx$panel$waves[t - 1L])
}

# Stage builders -------------------------------------------------------------------

# Who answered among the people at risk, named by their ids as a column of
# the response matrix is: `responded` (one per person) comes without the
# names, and those of `risk`, when it has them, are the same ids already.
responded_at <- function(responded, risk, ids) {
  r <- responded[risk]
  names(r) <- if (is.null(names(risk))) ids[risk] else names(risk)
  r
}

stage_name <- function(stage, wave) {
  if (stage == 0L) sprintf("%s (among everyone who started)", wave)
  else wave
}

# A response-model stage at which everyone at risk answered. The response
# probability is 1, not a model's estimate: the maximum likelihood one
# does not exist (the intercept diverges), and Firth's penalised one is
# below 1 and would make the weights vary although nobody dropped out.
# The weights carry over unchanged, and nothing is estimated, so the
# stage adds nothing to a sandwich or to a bootstrap replicate (in which
# everyone at risk answers too).
complete_stage <- function(stage, wave, risk, r, method, formula,
                           label = stage_name(stage, wave)) {
  list(
    stage = stage, wave = wave, wave_index = stage + 1L, label = label,
    type = method, formula = formula, complete = TRUE,
    risk = risk, responded = r, respondents = risk,
    prob = rep(1, length(risk))
  )
}

model_stage <- function(ctx, step, method) {
  stage <- step$stage
  wave <- step$label
  risk <- step$risk
  label <- stage_name(stage, wave)
  r <- responded_at(ctx$answered[[step$wave_index]], risk, ctx$ids)
  if (all(r)) {
    return(complete_stage(stage, wave, risk, r, method, step$formula))
  }
  x <- stage_matrix(step$data, step$formula, risk, label)
  base <- ctx$d[risk]
  # the scores are x * residuals; the variance code works from those
  fit <- fit_stage_logit(x, as.numeric(r), base, method, ctx$control, label)
  list(
    stage = stage, wave = wave, wave_index = stage + 1L, label = label,
    type = method, formula = step$formula,
    risk = risk, responded = r, x = x, base = base, fit = fit,
    respondents = risk[r], prob = fit$fitted[r]
  )
}

# `start` the starting weights of everyone (the base weights, or the
# previous wave's weights).
calibration_stage <- function(ctx, step, calfun, start) {
  stage <- step$stage
  wave <- step$label
  risk <- step$risk
  totals <- step$totals
  formula <- step$formula
  label <- stage_name(stage, wave)
  r <- responded_at(ctx$answered[[step$wave_index]], risk, ctx$ids)
  if (is.null(totals) && all(r)) {
    # everyone at risk answered: their weighted totals are the targets
    # already, g = 1 for every calibration function, and the stage is
    # left out like a response model's
    st <- complete_stage(stage, wave, risk, r, "calibrate", formula, label)
    st$weight <- start[risk]
    return(st)
  }
  x_all <- stage_matrix(step$data, formula, risk, label)
  if (!is.null(step$start_wave)) {
    check_sequential_start(start[risk][r], step$start_wave, wave, calfun)
  }
  bad_col <- which(!is.finite(colSums(x_all)))
  if (length(bad_col) && any(!is.finite(x_all))) {
    bad_col <- bad_col[vapply(bad_col, function(j) any(!is.finite(x_all[, j])),
                              logical(1))]
    pa_abort(
      sprintf(paste("Cannot calibrate at %s: %s of model.matrix(formula)",
                    "%s infinite or undefined values among the people at",
                    "risk. Transform or recode the covariates."),
              label, format_names(colnames(x_all)[bad_col]),
              if (length(bad_col) == 1L) "has" else "have"),
      class = "panelattrition_calibration_error", stage = label,
      margin = colnames(x_all)[bad_col], reason = "non_finite"
    )
  }
  if (is.null(totals)) {
    totals <- colSums(x_all * start[risk])
    if (any(!is.finite(totals))) {
      bad <- colnames(x_all)[!is.finite(totals)]
      pa_abort(
        sprintf(paste("Cannot calibrate at %s: the weighted totals of %s",
                      "overflow. Rescale the covariates."),
                label, format_names(bad)),
        class = "panelattrition_calibration_error", stage = label,
        margin = bad, reason = "non_finite"
      )
    }
  } else {
    totals <- check_margins(totals, colnames(x_all))
  }
  x <- x_all[r, , drop = FALSE]
  cal <- calibrate_weights(x, start[risk][r], totals, calfun = calfun,
                           bounds = ctx$bounds, control = ctx$control,
                           stage = label)
  list(
    stage = stage, wave = wave, wave_index = stage + 1L, label = label,
    type = "calibrate",
    formula = formula, risk = risk, responded = r, x = x_all,
    base = ctx$d[risk], start = start[risk], totals = totals,
    target = step$target, fit = cal, respondents = risk[r],
    weight = cal$weights
  )
}

# Population totals for stage 0, in the order of the columns of the
# stage's model matrix.
check_margins <- function(totals, columns) {
  extra <- setdiff(names(totals), columns)
  lacking <- setdiff(columns, names(totals))
  if (is.null(names(totals)) || length(extra) || length(lacking)) {
    pa_abort(
      sprintf(paste("`margins` must name every column of",
                    "model.matrix(formula, frame): %s.%s%s"),
              format_names(columns),
              if (length(lacking)) sprintf(" Missing: %s.", format_names(lacking)) else "",
              if (length(extra)) sprintf(" Not columns: %s.", format_names(extra)) else ""),
      class = "panelattrition_arg_error", argument = "margins"
    )
  }
  totals <- totals[columns]
  if (!is.numeric(totals) || any(!is.finite(totals))) {
    pa_abort(
      sprintf("`margins` must be finite numbers; %s %s not.",
              format_names(names(totals)[!is.finite(totals)]),
              if (sum(!is.finite(totals)) == 1L) "is" else "are"),
      class = "panelattrition_arg_error", argument = "margins"
    )
  }
  totals
}

# Sequential calibration starts wave t's respondents from their weights at
# t - 1. A linear calibration (or one bounded below by 0) may give some
# weights a negative or zero value: a legitimate answer for one calibration
# (and harmless for people who drop out next), but no calibration function
# can start from it, since g = w / start must stay in the function's range.
check_sequential_start <- function(start, start_wave, wave, calfun) {
  bad <- !is.finite(start) | !(start > 0)
  if (!any(bad)) return(invisible())
  pa_abort(
    sprintf(paste("Sequential calibration cannot go on to wave %s: the %s",
                  "calibration at wave %s gave %d of wave %s's respondents",
                  "a negative or zero weight, and their calibration must",
                  "start from positive weights. Use calfun = \"logit\" with",
                  "bounds (such as bounds = c(0.2, 5)), or calfun =",
                  "\"raking\": both keep every weight positive."),
            wave, calfun, start_wave, sum(bad), wave),
    class = c("panelattrition_negative_weights_error",
              "panelattrition_calibration_error"),
    stage = wave, wave = start_wave, n = sum(bad),
    reason = "negative_weights"
  )
}

# The numerator model of stabilised weights at wave t: kept as a stage of
# its own (the variance estimators need its scores too).
numerator_stage <- function(ctx, risk, t) {
  wave <- ctx$labels[t]
  numerator <- ctx$numerator
  method <- ctx$method
  label <- sprintf("%s (numerator of the stabilised weights)", wave)
  responded <- ctx$answered[[t]]
  r <- responded_at(responded, risk, ctx$ids)
  prob <- rep(NA_real_, length(responded))
  if (all(r)) {
    prob[risk] <- 1
    st <- complete_stage(t - 1L, wave, risk, r, method, numerator, label)
    st$numerator_model <- TRUE
    st$prob_all <- prob
    return(st)
  }
  x <- stage_matrix(ctx$data, numerator, risk, label)
  base <- ctx$d[risk]
  fit <- fit_stage_logit(x, as.numeric(r), base, method, ctx$control, label)
  prob[risk] <- fit$fitted
  list(stage = t - 1L, wave = wave, wave_index = t, label = label,
       numerator_model = TRUE,
       type = method, formula = numerator, risk = risk,
       responded = r, x = x, base = base, fit = fit,
       prob_all = prob)
}

complete_note <- function(st) {
  sprintf("everyone at risk answered (%d); p = 1, no model fitted",
          length(st$risk))
}
