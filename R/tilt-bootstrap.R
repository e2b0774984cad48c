# Bootstrap standard errors of tilt_sensitivity() (issue 16): in each
# replicate the person multipliers m of the package's bootstrap (the C
# streams of boot_draws(), or the Rao-Wu draws of a design) multiply the
# base weights, every stage of the weights is refitted with them in R
# (fit_weights(), as attrition_weights() fitted them), the tilted stages
# are fitted on those refitted stages at every alpha, and the rows are
# estimated as the point estimate is.

# The weights `w` refitted with base weights d * m: the same formula,
# method, history, calibration targets, frame (stage 0), margins,
# stabilising and numerator models, every stage starting from the
# replicate's weights. Trimming is left out: the tilted weights are not
# trimmed (tilted_weights()), and the anchor comes from the C replicates,
# which trim as replicate_weights() does.
refit_weights <- function(w, m) {
  fit_weights(weighting_context(
    w$panel, w$covariates, w$base_weights * m, w$formula, w$numerator,
    w$method, w$monotone, w$history, w$history_lags %||% 1, w$base,
    w$margins, w$calfun %||% "raking", w$bounds, w$stabilize, NULL, NULL,
    w$na_action, w$control, call = w$call
  ))
}

# The person multipliers of the replicates of `boot`: the Rao-Wu draws of
# PSUs within strata with a design, else boot_draws() (the same streams as
# replicate_weights()).
tilt_boot_draws <- function(w, boot) {
  if (!is.null(w$panel$design)) {
    boot_design_draws(w$panel$design, boot)
  } else {
    boot_draws(nrow(w$weights), boot)
  }
}

# Hajek estimates of the cells with a people x waves matrix of weights.
tilt_cell_estimates <- function(weights, cells, rows) {
  vapply(seq_len(nrow(cells)), function(k) {
    mem <- cells$members[[k]]
    if (!length(mem)) return(NA_real_)
    wt <- weights[cbind(rows$person[mem], rows$wave[mem])]
    sum(wt * cells$values[[k]]) / sum(wt)
  }, numeric(1))
}

# The C replicate weights of replicate column j as a people x waves matrix.
replicate_matrix <- function(reps, resp, j) {
  out <- matrix(NA_real_, nrow(resp), ncol(resp))
  for (t in seq_len(ncol(resp))) out[resp[, t], t] <- reps[[t]][, j]
  out
}

# What every evaluation of the tilted bootstrap shares: the C replicates
# of the input weights (the anchor), the person multipliers of each
# replicate and the cells. The multipliers come from the seed, so the
# replicates at any alpha are a deterministic function of alpha, which the
# tipping search (tilt_tipping()) solves on.
tilt_boot_setup <- function(w, spec, ev, boot) {
  reps <- withCallingHandlers(
    replicate_weights(w, boot, storage = "dense"),
    panelattrition_bootstrap_warning = function(cnd) invokeRestart("muffleWarning")
  )
  list(w = w, spec = spec, cells = ev$cells, contrast = ev$contrast,
       n_row = nrow(ev$key), indices = boot_indices(boot), reps = reps,
       fail_c = attr(reps, "failures"), draws = tilt_boot_draws(w, boot),
       type = attr(reps, "type"), B = boot$B, seed = boot$seed)
}

# The replicates of every row at each of `alpha`: a list (one per alpha)
# of replicates x rows matrices, NA rows for failed replicates and for
# those in `skip` (indices j of the replicates), and the failures. The
# anchored estimate of replicate b is own_b + tilted_b(alpha) -
# tilted_b(0), with own_b from the C replicate weights of the input weights
# (exactly the replicates of wave_means(se = "bootstrap")) and the tilted
# ones from the R refit; unanchored it is tilted_b(alpha).
tilt_boot_replicates <- function(bs, alpha, skip = integer(),
                                 progress = TRUE) {
  w <- bs$w
  spec <- bs$spec
  rows <- spec$rows
  n_rep <- length(bs$indices)
  n <- nrow(w$weights)
  alpha_of <- function(a) if (is.null(spec$mult)) rep(a, n) else a * spec$mult
  # the anchor needs the tilted estimate at 0 as well
  anchored <- !isFALSE(spec$anchor)
  grid <- if (anchored) unique(c(alpha, 0)) else alpha
  zero_at <- match(0, grid)
  out <- lapply(alpha, function(a) matrix(NA_real_, n_rep, bs$n_row))
  failures <- list()
  resp <- w$panel$response
  bar <- if (progress) {
    progress_start("Bootstrap replicates of the tilted weights", n_rep)
  }
  for (j in seq_len(n_rep)) {
    if (progress) progress_step(bar)
    b <- bs$indices[j]
    if (b %in% bs$fail_c$replicate || j %in% skip) next
    # people not drawn (multiplier 0: the multinomial bootstrap, Rao-Wu
    # without an fpc) count 1e-10 in the fits, since calibration needs
    # positive start weights (a relative change of the fitted coefficients
    # of about 1e-10), and nothing in the estimates, as in the C engine
    m <- bs$draws[, j]
    absent <- m == 0
    m[absent] <- 1e-10
    res <- tryCatch({
      wb <- refit_weights(w, m)
      lapply(grid, function(a) {
        tw <- tilted_weights(wb, spec$y_mat, alpha_of(a), spec$control,
                             spec$outcome)$weights
        tw[absent, ] <- 0
        tilt_cell_estimates(tw, bs$cells, rows)
      })
    }, panelattrition_error = function(e) e)
    if (inherits(res, "condition")) {
      failures[[length(failures) + 1L]] <- tilt_boot_failure(w, b, res)
      next
    }
    own <- if (anchored) {
      tilt_cell_estimates(replicate_matrix(bs$reps, resp, j), bs$cells, rows)
    }
    for (k in seq_along(alpha)) {
      est <- if (anchored) own + res[[k]] - res[[zero_at]] else res[[k]]
      if (!is.null(bs$contrast)) est <- drop(est %*% bs$contrast)
      out[[k]][j, ] <- est
    }
  }
  if (progress) progress_end(bar)
  list(replicates = out, failures = failures)
}

# Bootstrap replicates of every row of tilt_sensitivity() at every alpha of
# the grid (tilt_boot_replicates()), with the failures of the C replicates
# and of the refits together, warned about once; `setup` is kept for the
# tipping search.
tilt_bootstrap <- function(w, spec, ev, alpha, boot) {
  bs <- tilt_boot_setup(w, spec, ev, boot)
  res <- tilt_boot_replicates(bs, alpha)
  fl <- rbind(bs$fail_c, do.call(rbind, res$failures))
  fl <- fl[order(fl$replicate), , drop = FALSE]
  failures <- new_failures(fl$replicate, fl$wave, fl$stage, fl$reason)
  if (nrow(failures)) warn_failures(failures, length(bs$indices))
  list(replicates = res$replicates, failures = failures,
       indices = bs$indices, setup = bs)
}

# The bootstrap intervals of every row at one alpha outside the grid, for
# the tipping search: from the replicates that did not fail on the grid
# (`failed`, replicate numbers b), so that the function of alpha is the
# one the table's intervals are points of. NULL when a replicate cannot be
# refitted at this alpha (the search ends there, as a tilted stage that
# cannot be solved ends it with the sandwich).
tilt_boot_interval <- function(bs, a, failed, level) {
  skip <- which(bs$indices %in% failed)
  res <- tilt_boot_replicates(bs, a, skip, progress = FALSE)
  if (length(res$failures)) return(NULL)
  tilt_boot_summary(list(replicates = res$replicates), level)
}

# A failed replicate of the tilted bootstrap: where and why, from the
# condition of the stage that could not be fitted.
tilt_boot_failure <- function(w, b, cnd) {
  label <- cnd$stage %||% cnd$wave %||% "a stage"
  tilted <- inherits(cnd, "panelattrition_nonfinite_error")
  new_failures(
    b, label,
    if (tilted) "tilted response model" else "response model",
    if (tilted) "no convergence of a tilted stage" else
      conditionMessage(cnd)
  )
}

# Standard errors (SD of the replicates that did not fail) and percentile
# intervals, as wave_means(se = "bootstrap") gives them: rows x alpha.
tilt_boot_summary <- function(bs, level) {
  lo <- (1 - level) / 2
  per <- lapply(bs$replicates, function(est) {
    est <- ok_replicates(est)
    se <- if (nrow(est) > 1L) apply(est, 2, stats::sd) else
      rep(NA_real_, ncol(est))
    lims <- apply(est, 2, function(v) {
      if (all(is.na(v))) return(c(NA_real_, NA_real_))
      stats::quantile(v, c(lo, 1 - lo), names = FALSE, na.rm = TRUE)
    })
    list(se = se, low = lims[1, ], high = lims[2, ])
  })
  list(se = unlist(lapply(per, `[[`, "se")),
       low = unlist(lapply(per, `[[`, "low")),
       high = unlist(lapply(per, `[[`, "high")))
}

# The delete-a-group jackknife of tilt_sensitivity(se = "jackknife") (Kott
# 2001): the people are split at random into `groups` groups of (nearly)
# equal size; replicate g leaves group g out (multiplier 0, as a person not
# drawn by the multinomial bootstrap) and refits every stage and the tilted
# stages, as the bootstrap's replicates do (tilt_boot_replicates()). The
# replicates are of the tilted estimates themselves: the anchor
# mu_w - mu(0) is nil but for Firth fits (O(1/n)), so it is not
# re-estimated per replicate. Returns what tilt_boot_replicates() needs.
tilt_jack_setup <- function(w, spec, ev, jack) {
  n <- nrow(w$weights)
  group <- with_seed(jack$seed, sample(rep_len(seq_len(jack$groups), n)))
  draws <- matrix(1, n, jack$groups)
  draws[cbind(seq_len(n), group)] <- 0
  spec$anchor <- FALSE
  list(w = w, spec = spec, cells = ev$cells, contrast = ev$contrast,
       n_row = nrow(ev$key), indices = seq_len(jack$groups), reps = NULL,
       fail_c = new_failures(integer(), character(), character(),
                             character()),
       draws = draws, type = "jackknife", B = jack$groups, seed = jack$seed)
}

# Run `expr` with the random number generator seeded by `seed`, restoring
# the caller's stream afterwards.
with_seed <- function(seed, expr) {
  env <- globalenv()
  had <- exists(".Random.seed", envir = env, inherits = FALSE)
  old <- if (had) get(".Random.seed", envir = env, inherits = FALSE)
  on.exit(if (had) assign(".Random.seed", old, envir = env) else
    rm(".Random.seed", envir = env))
  set.seed(seed)
  expr
}

# Jackknife standard errors, (G - 1) / G times the sum of squared
# deviations of the G replicates from their mean, of every column of each
# matrix of `replicates` (one per alpha), without the failed replicates
# (NA rows), whose groups are then not left out of anything (a warning
# says so).
tilt_jack_se <- function(replicates) {
  unlist(lapply(replicates, function(est) {
    est <- ok_replicates(est)
    g <- nrow(est)
    if (g < 2L) return(rep(NA_real_, ncol(est)))
    dev <- sweep(est, 2, colMeans(est))
    sqrt((g - 1) / g * colSums(dev^2))
  }))
}

# The jackknife's estimate of the bias of the tilt's shift mu(alpha) -
# mu(0) of each row: (G - 1) times the mean over the replicates of their
# shift (rows of `reps` minus those of `reps0`, the replicates at alpha =
# 0) less the shift `shift` of the full sample, over the replicates that
# did not fail (NA rows). Zero where the shift is (alpha = 0).
tilt_jack_bias <- function(reps, reps0, shift) {
  d <- ok_replicates(reps - reps0)
  g <- nrow(d)
  if (g < 2L) return(rep(NA_real_, ncol(d)))
  (g - 1) * (colMeans(d) - shift)
}

# Checks and defaults of `control` for se = "jackknife".
check_jack_control <- function(control) {
  if (!is.list(control) || inherits(control, "pa_boot_control") ||
      length(setdiff(names(control), c("groups", "seed", "bias_correct"))) ||
      (length(control) && is.null(names(control)))) {
    pa_abort(
      paste("With `se = \"jackknife\"`, `control` must be list(groups,",
            "seed, bias_correct): the number of random groups (default",
            "50), the seed of the split into groups (default 1) and",
            "whether the jackknife's estimate of the bias of the tilt is",
            "taken off (default TRUE)."),
      class = "panelattrition_arg_error", argument = "control"
    )
  }
  bias_correct <- control$bias_correct %||% TRUE
  check_flag(bias_correct, "control$bias_correct")
  groups <- control$groups %||% 50
  seed <- control$seed %||% 1
  if (!is.numeric(groups) || length(groups) != 1L || is.na(groups) ||
      groups < 2 || groups != round(groups) || groups > 1e6) {
    arg_error("control$groups", "a whole number of at least 2", groups)
  }
  if (!is.numeric(seed) || length(seed) != 1L || is.na(seed) ||
      seed != round(seed) || abs(seed) > .Machine$integer.max) {
    arg_error("control$seed", "a whole number", seed)
  }
  list(groups = as.integer(groups), seed = as.integer(seed),
       bias_correct = bias_correct)
}

# The jackknife replicates of every row at every alpha of the grid, with
# the failures warned about once (as tilt_bootstrap()).
tilt_jackknife <- function(w, spec, ev, alpha, jack) {
  bs <- tilt_jack_setup(w, spec, ev, jack)
  res <- tilt_boot_replicates(bs, alpha)
  fl <- do.call(rbind, c(list(bs$fail_c), res$failures))
  failures <- new_failures(fl$replicate, fl$wave, fl$stage, fl$reason)
  if (nrow(failures)) warn_failures(failures, length(bs$indices))
  list(replicates = res$replicates, failures = failures,
       indices = bs$indices, setup = bs)
}

# Intervals from jackknife standard errors: estimate +- t_{G-1} SE, or for
# proportions the logit interval of the sandwich (normal quantiles).
tilt_jack_interval <- function(estimate, se, n, level, proportion, groups) {
  if (proportion) {
    return(proportion_interval(estimate, se, n, level, "logit"))
  }
  q <- stats::qt(1 - (1 - level) / 2, groups - 1L)
  cbind(estimate - q * se, estimate + q * se)
}
