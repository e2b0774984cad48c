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
    cv <- prepare_covariates(w$panel, outcome_model, NULL, NULL, "fail")$data
    check_covariate_size(cv, list(outcome_model), nrow(cv), "outcome_model")
    cv
  }

  q <- nrow(cells)
  estimate <- numeric(q)
  phi <- matrix(0, n, q)
  # dphi/dw_t is non-zero only for wave t's respondents
  dphi_dw <- vector("list", length(waves))
  n_d <- numeric(q)
  n_cell <- integer(q)
  n_eff <- numeric(q)
  wt_rows <- w$weights[cbind(rows$person, rows$wave)]
  # The outcome regressions depend on the outcome and wave, not on the
  # group: one chain serves all of a wave's groups, and the designs of
  # each level are shared by all chains.
  chains <- list()
  chain_key <- paste(cells$outcome, cells$level, cells$wave_index, sep = "\r")
  designs <- new.env(parent = emptyenv())

  for (k in seq_len(q)) {
    t <- cells$wave_index[k]
    m <- cells$members[[k]]
    in_group <- rep(FALSE, n)
    in_group[cells$group_people[[k]]] <- TRUE
    n_cell[k] <- length(m)
    wk <- wt_rows[m]
    n_eff[k] <- if (length(m)) sum(wk)^2 / sum(wk^2) else 0

    key <- chain_key[k]
    chain <- chains[[key]]
    if (is.null(chain)) {
      # the regressions use every respondent's outcome, whatever their group
      y <- rep(NA_real_, n)
      y[rows$person[cells$wave_members[[k]]]] <- cells$wave_values[[k]]
      levels <- chain_levels(t, w$monotone, with_frame)
      # unnamed: which() would make every person's name a string each time
      members <- lapply(levels, function(l) {
        if (l == 0L) base else unname(resp[, l])
      })
      # At the first wave without a frame there is nothing to augment: the
      # estimate is the base-weighted mean of those with a value, as for
      # "ipw". Later, people who answered but have no value of this outcome
      # would be missing like nonrespondents: refuse rather than guess.
      if (length(levels) == 1L) members[[1]] <- members[[1]] & !is.na(y)
      top <- members[[length(members)]]
      if (any(top & is.na(y))) {
        pa_abort(
          sprintf(paste("The doubly robust estimator needs the outcome `%s`",
                        "for every respondent at %s; %d have none. Impute",
                        "them or use estimator = \"ipw\"."),
                  cells$outcome[k], waves[t], sum(top & is.na(y))),
          class = "panelattrition_missing_error",
          variables = cells$outcome[k]
        )
      }
      chain <- sequential_regressions(w, levels, members, y, formula,
                                      covariates,
                                      cells$type[k] == "proportion", designs)
      chain$levels <- levels
      chain$members <- members
      chain$cells <- integer(0)
      chain$a <- vector("list", length(levels) - 1L)
    }
    levels <- chain$levels
    members <- chain$members
    qv <- chain$q  # list of Q_j over all people, j = 0..J
    J <- length(levels) - 1L
    level_weight <- function(j) {
      if (j == 0L) d else v[, levels[j + 1L]]
    }
    base_g <- which(members[[1]] & in_group & (with_frame | base))
    nd <- sum(d[base_g])
    n_d[k] <- nd
    total <- sum(d[base_g] * qv[[1]][base_g])
    at <- vector("list", J)
    step <- vector("list", J)
    for (j in seq_len(J)) {
      at[[j]] <- which(members[[j + 1L]] & in_group)
      step[[j]] <- qv[[j + 1L]][at[[j]]] - qv[[j]][at[[j]]]
      total <- total + sum(level_weight(j)[at[[j]]] * step[[j]])
    }
    mu <- total / nd
    estimate[k] <- mu
    phi_k <- numeric(n)
    phi_k[base_g] <- d[base_g] * (qv[[1]][base_g] - mu)
    for (j in seq_len(J)) {
      i <- at[[j]]
      phi_k[i] <- phi_k[i] + level_weight(j)[i] * step[[j]]
      wave_j <- levels[j + 1L]
      if (is.null(dphi_dw[[wave_j]])) {
        r <- which(unname(resp[, wave_j]))
        dphi_dw[[wave_j]] <- list(rows = r, m = matrix(0, length(r), q))
      }
      slot <- match(i, dphi_dw[[wave_j]]$rows)
      dphi_dw[[wave_j]]$m[slot, k] <- step[[j]] / w$stabilizing[i, wave_j]
    }
    phi[, k] <- phi_k
    if (se == "sandwich" && J > 0L) {
      # the estimate's equation depends on beta_{j-1} through
      # sum_i a_i Q_{j-1,i}: keep a_i mu'(eta_i), one column per cell
      for (j in seq_len(J)) {
        reg <- chain$fits[[j]]  # regression giving Q_{j-1}
        g_low <- in_group[reg$rows]
        up <- members[[j + 1L]][reg$rows] & g_low
        a <- numeric(length(reg$rows))
        a[g_low] <- level_weight(j - 1L)[reg$rows[g_low]]
        a[up] <- a[up] - level_weight(j)[reg$rows[up]]
        chain$a[[j]] <- cbind(chain$a[[j]], a * reg$deriv)
      }
      chain$cells <- c(chain$cells, k)
    }
    chains[[key]] <- chain
  }
  # influence of the outcome regressions on the estimates
  for (chain in chains) {
    if (!length(chain$cells)) next
    ks <- chain$cells
    phi[, ks] <- phi[, ks] + chain_influence(chain$fits, chain$a, n)
  }
  dmu <- diag(-n_d, q)
  infl <- estimate_influence(w_ipw, phi, dmu, dphi_dw,
                             sandwich = se == "sandwich")
  people <- if (se == "naive") sort(unique(rows$person)) else seq_len(n)
  infl <- infl[people, , drop = FALSE]
  vc <- influence_vcov(infl, w$panel$design, people)
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
# person (NA outside level j) and the fits: the design on level j - 1's
# members (`z`, `rows`) and on the fit rows among them (`zf`, `fit`), the
# derivative of the prediction w.r.t. the linear predictor, the residuals,
# the information and the cross-derivative `c` of the fit's scores in the
# coefficients of the regression above it. `designs` (an environment) keeps
# each level's design for the other chains.
sequential_regressions <- function(w, levels, members, y, formula,
                                   covariates, proportion, designs) {
  n <- length(y)
  J <- length(levels) - 1L
  fam <- if (proportion) stats::quasibinomial() else stats::gaussian()
  qv <- vector("list", J + 1L)
  qv[[J + 1L]] <- ifelse(members[[J + 1L]], y, NA_real_)
  fits <- vector("list", J)
  if (J == 0L) return(list(q = qv, fits = fits))
  for (j in J:1) {
    lower <- levels[j]  # the level whose members get the prediction
    des <- level_design(w, lower, levels[j + 1L], members[[j]],
                        members[[j + 1L]], formula, covariates, designs)
    rows_low <- des$rows
    resp_q <- qv[[j + 1L]][rows_low][des$fit]
    fit <- outcome_fit(des$zf, resp_q, proportion)
    if (any(is.na(fit$coefficients))) {
      pa_abort(sprintf(paste("The outcome regression predicting level %d is",
                             "singular (a covariate is constant or a category",
                             "is empty among those who answered later)."),
                       lower),
               class = "panelattrition_model_error")
    }
    eta <- drop(des$z %*% fit$coefficients)
    pred <- fam$linkinv(eta)
    deriv <- fam$mu.eta(eta)
    q_low <- rep(NA_real_, n)
    q_low[rows_low] <- pred
    qv[[j]] <- q_low
    zf <- des$zf
    reg <- list(z = des$z, rows = rows_low, zf = zf, fit = des$fit,
                deriv = deriv, resid = resp_q - pred[des$fit],
                info = xt_a(zf, zf * deriv[des$fit]))
    if (j < J) {
      # Q_j = mu(z_j' beta_j) on the fit rows: its derivative in beta_j
      upper <- fits[[j + 1L]]
      at <- match(rows_low[des$fit], upper$rows)
      reg$c <- xt_a(zf, upper$z[at, , drop = FALSE] * upper$deriv[at])
    }
    fits[[j]] <- reg
  }
  list(q = qv, fits = fits)
}

# The coefficients of an outcome regression, as glm.fit() with epsilon =
# 1e-12 gives them. For a mean, its IRLS is least squares by QR, done a
# second time only to see the deviance settle: one pass with its QR
# tolerance (epsilon / 1000) gives the same coefficients to rounding.
outcome_fit <- function(x, y, proportion) {
  if (!proportion) return(stats::lm.fit(x, y, tol = 1e-15))
  # Binary outcomes that a history variable predicts perfectly (people in
  # work stay in work) separate the logistic regression: its predictions
  # for those patterns go to 0 or 1, which is what the augmentation needs,
  # so glm.fit's warnings about it are expected and muffled.
  withCallingHandlers(
    stats::glm.fit(x, y, family = stats::quasibinomial(),
                   control = stats::glm.control(epsilon = 1e-12,
                                                maxit = 100)),
    warning = function(wn) {
      if (grepl("fitted probabilities|did not converge",
                conditionMessage(wn))) {
        invokeRestart("muffleWarning")
      }
    }
  )
}

# The design of the regression predicting level `lower` (on its members)
# from level `upper`, and its rows among those in both (the fit rows),
# built once per pair of levels.
level_design <- function(w, lower, upper, low, up, formula, covariates,
                         designs) {
  key <- paste(lower, upper)
  if (!is.null(designs[[key]])) return(designs[[key]])
  lkey <- as.character(lower)
  des <- designs[[lkey]]
  if (is.null(des)) {
    data <- covariates
    f <- formula
    if (w$monotone && !is.null(w$history) && lower >= 1L) {
      # what the response model for the next wave conditions on
      hist <- stage_history(w$panel, w$history, w$history_lags %||% 1L,
                            lower + 1L, w$na_action)
      data <- cbind(data, hist$values)
      f <- add_terms(formula, hist$terms)
    }
    label <- sprintf("the outcome regression for level %d", lower)
    rows <- which(low)
    des <- list(z = stage_matrix(data, f, rows, label), rows = rows)
    designs[[lkey]] <- des
  }
  des$fit <- up[des$rows]
  des$zf <- des$z[des$fit, , drop = FALSE]
  designs[[key]] <- des
  des
}

# sum_j IF(beta_{j-1}) h_j for the regressions of a chain, with h_j = z' a
# the p_j x K derivatives of K estimates in beta_{j-1}. Each influence is
# IF(beta_{j-1}) = (U_j + IF(beta_j) C_j') P_j' (P_j = I_j^{-1}, U_j = the
# scores z r), so the sum is sum_j U_j G_j with G_j = P_j' (h_j +
# C_{j-1}' G_{j-1}) carried up the chain: no N x p matrices.
chain_influence <- function(fits, a, n) {
  out <- matrix(0, n, ncol(a[[1L]]))
  carry <- 0
  for (j in seq_along(fits)) {
    reg <- fits[[j]]
    g <- solve_psd(reg$info, xt_a(reg$z, a[[j]]) + carry)
    at <- reg$rows[reg$fit]
    out[at, ] <- out[at, ] + reg$resid * x_b(reg$zf, g)
    if (j < length(fits)) carry <- crossprod(reg$c, g)
  }
  out
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
