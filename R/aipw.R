# Doubly robust (augmented IPW) wave means by sequential regression.
#
# For a target wave t, the waves a person must have answered to reach t
# form a chain of levels: the baseline sample (level 0: the frame, or the
# first wave's respondents), then each wave up to t under monotone dropout,
# or t alone when each wave has its own response model. Working from the
# top, Q_J = y_t, and Q_{j-1} is the prediction of Q_j from the covariates
# (and the history observed at level j - 1) by a regression fitted among
# level j's members (Bang and Robins, 2005). The estimate is
#
#   mu = (1 / N_d) [ sum_{M_0} d Q_0 + sum_j sum_{M_j} v_j (Q_j - Q_{j-1}) ]
#
# with v_j the inverse-probability weight of level j (the attrition weight
# without its stabilising factor) and N_d the base-weighted size of the
# baseline sample. It is consistent if either the response models or the
# outcome regressions are right. The sandwich stacks the outcome
# regressions too: their influence is propagated down the chain (each
# regression's response is the previous prediction), then added to the
# estimate's.

aipw_cells <- function(w, cells, rows, se, outcome_model) {
  waves <- w$panel$waves
  n <- nrow(w$weights)
  resp <- w$panel$response
  with_frame <- isTRUE(w$panel$frame_given)
  d <- w$base_weights
  base <- rep(FALSE, n)
  base[w$baseline_rows] <- TRUE
  # inverse-probability weights, without the stabilising factor
  v <- w$weights / w$stabilizing
  v[is.na(v)] <- 0
  # the stabilising numerator models cancel in v: leave them out of the
  # stacked equations
  w_ipw <- w
  w_ipw$numerator_stages <- list()
  formula <- outcome_model %||% w$formula
  covariates <- if (is.null(outcome_model)) {
    w$covariates
  } else {
    prepare_covariates(w$panel, outcome_model, NULL, NULL, "fail")$data
  }

  q <- nrow(cells)
  estimate <- numeric(q)
  phi <- matrix(0, n, q)
  dphi_dw <- vector("list", length(waves))
  n_d <- numeric(q)
  n_cell <- integer(q)
  n_eff <- numeric(q)
  wt_rows <- w$weights[cbind(rows$person, rows$wave)]

  for (k in seq_len(q)) {
    t <- cells$wave_index[k]
    m <- cells$members[[k]]
    pers <- rows$person[m]
    # the regressions use every respondent's outcome, whatever their group
    y <- rep(NA_real_, n)
    y[rows$person[cells$wave_members[[k]]]] <- cells$wave_values[[k]]
    in_group <- rep(FALSE, n)
    in_group[cells$group_people[[k]]] <- TRUE
    n_cell[k] <- length(m)
    wk <- wt_rows[m]
    n_eff[k] <- if (length(m)) sum(wk)^2 / sum(wk^2) else 0

    levels <- chain_levels(t, w$monotone, with_frame)
    members <- lapply(levels, function(l) if (l == 0L) base else resp[, l])
    # At the first wave without a frame there is nothing to augment: the
    # estimate is the base-weighted mean of those with a value, as for
    # "ipw". Later, people who answered but have no value of this outcome
    # would be missing like nonrespondents: refuse rather than guess.
    if (length(levels) == 1L) members[[1]] <- members[[1]] & !is.na(y)
    top <- members[[length(members)]]
    if (any(top & is.na(y))) {
      pa_abort(
        sprintf(paste("The doubly robust estimator needs the outcome `%s` for",
                      "every respondent at %s; %d have none. Impute them or",
                      "use estimator = \"ipw\"."),
                cells$outcome[k], waves[t], sum(top & is.na(y))),
        class = "panelattrition_missing_error", variables = cells$outcome[k]
      )
    }
    chain <- sequential_regressions(w, levels, members, y, formula,
                                    covariates, cells$type[k] == "proportion")
    qv <- chain$q  # list of Q_j over all people, j = 0..J
    J <- length(levels) - 1L
    level_weight <- function(j) {
      if (j == 0L) d else v[, levels[j + 1L]]
    }
    g <- in_group
    base_g <- members[[1]] & g
    if (!with_frame) base_g <- base_g & base
    nd <- sum(d[base_g])
    n_d[k] <- nd
    total <- sum((d * qv[[1]])[base_g])
    for (j in seq_len(J)) {
      mj <- members[[j + 1L]] & g
      total <- total + sum((level_weight(j) * (qv[[j + 1L]] - qv[[j]]))[mj])
    }
    mu <- total / nd
    estimate[k] <- mu
    phi_k <- ifelse(base_g, d * (qv[[1]] - mu), 0)
    for (j in seq_len(J)) {
      mj <- members[[j + 1L]] & g
      diff_j <- ifelse(mj, qv[[j + 1L]] - qv[[j]], 0)
      phi_k <- phi_k + level_weight(j) * diff_j
      wave_j <- levels[j + 1L]
      if (is.null(dphi_dw[[wave_j]])) dphi_dw[[wave_j]] <- matrix(0, n, q)
      dphi_dw[[wave_j]][, k] <- diff_j / w$stabilizing[, wave_j]
    }
    if (se == "sandwich") {
      # influence of the outcome regressions on the estimate
      for (j in seq_len(J)) {
        reg <- chain$fits[[j]]  # regression giving Q_{j-1}
        a <- ifelse((members[[j]] & g), level_weight(j - 1L), 0) -
          ifelse(members[[j + 1L]] & g, level_weight(j), 0)
        h <- colSums(reg$z * (a * reg$deriv)[reg$rows])
        phi_k <- phi_k + chain$influence[[j]] %*% h
      }
    }
    phi[, k] <- phi_k
  }
  dmu <- diag(-n_d, q)
  infl <- estimate_influence(w_ipw, phi, dmu, dphi_dw,
                             sandwich = se == "sandwich")
  people <- if (se == "naive") sort(unique(rows$person)) else seq_len(n)
  infl <- infl[people, , drop = FALSE]
  vc <- influence_vcov(infl)
  list(estimate = estimate, vcov = vc, n = n_cell, n_eff = n_eff,
       influence = infl, people = people)
}

# The levels a target wave t is reached through: 0 is the frame.
chain_levels <- function(t, monotone, with_frame) {
  if (with_frame) {
    if (monotone) c(0L, seq_len(t)) else c(0L, t)
  } else if (t == 1L) {
    1L
  } else if (monotone) {
    seq_len(t)
  } else {
    c(1L, t)
  }
}

# Fit Q_{j-1} from Q_j, top down. Returns the predictions Q_j for every
# person (NA outside level j), the fits (design on level j - 1's members,
# derivative of the prediction w.r.t. the linear predictor) and each
# regression's influence values (N x p) with the chain propagated.
sequential_regressions <- function(w, levels, members, y, formula,
                                   covariates, proportion) {
  n <- length(y)
  J <- length(levels) - 1L
  fam <- if (proportion) stats::quasibinomial() else stats::gaussian()
  qv <- vector("list", J + 1L)
  qv[[J + 1L]] <- ifelse(members[[J + 1L]], y, NA_real_)
  fits <- vector("list", J)
  influence <- vector("list", J)
  if (J == 0L) return(list(q = qv, fits = fits, influence = influence))
  for (j in J:1) {
    lower <- levels[j]  # the level whose members get the prediction
    rows_low <- which(members[[j]])
    data <- covariates
    f <- formula
    if (w$monotone && !is.null(w$history) && lower >= 1L) {
      hist <- history_values(w$panel, w$history, w$panel$waves[lower],
                             w$na_action)
      data <- cbind(data, hist$values)
      f <- add_terms(formula, hist$terms)
    }
    label <- sprintf("the outcome regression for level %d", lower)
    z_low <- stage_matrix(data, f, rows_low, label)
    fit_rows <- members[[j + 1L]][rows_low]
    zf <- z_low[fit_rows, , drop = FALSE]
    resp_q <- qv[[j + 1L]][rows_low][fit_rows]
    # Binary outcomes that a history variable predicts perfectly (people in
    # work stay in work) separate the logistic regression: its predictions
    # for those patterns go to 0 or 1, which is what the augmentation needs,
    # so glm.fit's warnings about it are expected and muffled.
    fit <- withCallingHandlers(
      stats::glm.fit(zf, resp_q, family = fam,
                     control = stats::glm.control(epsilon = 1e-12,
                                                  maxit = 100)),
      warning = function(wn) {
        if (grepl("fitted probabilities|did not converge",
                  conditionMessage(wn))) {
          invokeRestart("muffleWarning")
        }
      }
    )
    if (any(is.na(fit$coefficients))) {
      pa_abort(sprintf(paste("The outcome regression predicting level %d is",
                             "singular (a covariate is constant or a category",
                             "is empty among those who answered later)."),
                       lower),
               class = "panelattrition_model_error")
    }
    eta <- drop(z_low %*% fit$coefficients)
    pred <- fam$linkinv(eta)
    deriv <- fam$mu.eta(eta)
    q_low <- rep(NA_real_, n)
    q_low[rows_low] <- pred
    qv[[j]] <- q_low
    # influence of beta_{j-1}: I^{-1} (U_i + C IF(beta_j)_i)
    info <- crossprod(zf, zf * deriv[fit_rows])
    u <- matrix(0, n, ncol(z_low))
    u[rows_low[fit_rows], ] <- zf * (resp_q - pred[fit_rows])
    if (j < J) {
      upper <- fits[[j + 1L]]
      # Q_j = mu(z_j' beta_j) for the fit rows: its derivative
      dq <- matrix(0, n, ncol(upper$z))
      dq[upper$rows, ] <- upper$z * upper$deriv[upper$rows]
      c_mat <- crossprod(zf, dq[rows_low[fit_rows], , drop = FALSE])
      u <- u + influence[[j + 1L]] %*% t(c_mat)
    }
    influence[[j]] <- t(solve_psd(info, t(u)))
    deriv_all <- rep(0, n)
    deriv_all[rows_low] <- deriv
    z_all <- matrix(0, n, ncol(z_low))
    z_all[rows_low, ] <- z_low
    fits[[j]] <- list(z = z_low, rows = rows_low, deriv = deriv_all)
    # keep a full-size design for the chain's cross terms
    fits[[j]]$z_all <- z_all
  }
  # express each fit's design over all people for the cross terms above
  for (j in seq_len(J)) {
    fits[[j]]$z <- fits[[j]]$z_all
    fits[[j]]$rows <- seq_len(n)
    fits[[j]]$z_all <- NULL
  }
  list(q = qv, fits = fits, influence = influence)
}

# Solve A x = b for a symmetric positive semi-definite A. Under separation
# the information of a logistic outcome regression loses rank in the
# directions where predictions sit at 0 or 1; the score contributions vanish
# along them too, so a pseudo-inverse gives the right influence values.
solve_psd <- function(a, b) {
  ok <- tryCatch(rcond(a) > 1e-12, error = function(e) FALSE)
  if (isTRUE(ok)) return(solve(a, b))
  s <- svd(a)
  keep <- s$d > max(s$d) * 1e-10
  s$v[, keep, drop = FALSE] %*%
    (crossprod(s$u[, keep, drop = FALSE], b) / s$d[keep])
}
