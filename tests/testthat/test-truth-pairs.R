# Truth tests for estimates that use two waves of a panel with intermittent
# response (attrition_weights(monotone = FALSE)): the people seen at both
# waves were selected on answering both, and must be weighted for it.
#
# In the simulated panel, response at each wave depends on the baseline
# covariates x and z only, and the waves' responses are independent given
# them (the assumption of monotone = FALSE holds), so many people answer
# the third wave after missing the second. The change between waves and
# the chance of finding work both depend on x, which also drives response:
# weighting the people seen at T2 and T3 by their T3 weight alone leaves
# them tilted towards those likely to answer at T2. x takes four values
# and the response models are saturated (~ xf * z), so the model for
# answering both waves is right too: with a continuous x and logit-linear
# wave models, answering both is not logit-linear in x.

pairs_sim <- function(n, seed, frame = FALSE, base = FALSE) {
  set.seed(seed)
  x <- sample(c(-1.5, -0.5, 0.5, 1.5), n, replace = TRUE)
  z <- stats::rbinom(n, 1, 0.4)
  y1 <- 50 + 2 * x + stats::rnorm(n, 0, 3)
  y2 <- y1 + 0.5 + 0.8 * x + stats::rnorm(n, 0, 2)
  y3 <- y2 + 0.25 + 0.6 * x + 0.3 * z + stats::rnorm(n, 0, 2)
  e1 <- stats::runif(n) < stats::plogis(0.2 + x)
  e2 <- stats::runif(n) < stats::plogis(-0.6 + 1.5 * e1 + 0.8 * x)
  e3 <- stats::runif(n) < stats::plogis(-1.1 + 2 * e2 + x)
  r1 <- if (frame) {
    stats::runif(n) < stats::plogis(0.6 + 0.9 * x - 0.4 * z)
  } else {
    rep(TRUE, n)
  }
  r2 <- stats::runif(n) < stats::plogis(0.3 + 1.2 * x + 0.3 * z)
  r3 <- stats::runif(n) < stats::plogis(0.2 - x)
  d <- if (base) stats::runif(n, 1, 3) else rep(1, n)
  status <- function(e) {
    factor(ifelse(e, "employed", "not employed"),
           levels = c("employed", "not employed"))
  }
  ids <- seq_len(n)
  wave_rows <- function(wave, y, e, r) {
    data.frame(id = ids, wave = wave, x = x, xf = factor(x), z = z, d = d,
               y = y, emp = status(e))[r, ]
  }
  long <- rbind(wave_rows("T1", y1, e1, r1), wave_rows("T2", y2, e2, r2),
                wave_rows("T3", y3, e3, r3))
  truth <- data.frame(id = ids, x, xf = factor(x), z, d, y1, y2, y3, e1, e2,
                      e3, r1, r2, r3)
  panel <- panel_data(long, id = "id", wave = "wave",
                      baseline = c("x", "xf", "z", "d"),
                      frame = if (frame) {
                        data.frame(id = ids, x = x, xf = factor(x), z = z,
                                   d = d)
                      })
  list(panel = panel, truth = truth)
}

# |estimate - truth| < 4 SE, with the numbers in the failure message
expect_near_truth <- function(estimate, se, truth, what) {
  expect_true(is.finite(se) && se > 0, info = what)
  expect_lt(abs(estimate - truth), 4 * se,
            label = sprintf("%s: |%.4f - truth %.4f| (SE %.4f)", what,
                            estimate, truth, se))
}

employed_given_not <- function(tr) {
  tr[tr$from_status == "not employed" & tr$to_status == "employed", ]
}

test_that("changes and transitions between waves of an intermittent panel are right", {
  s <- pairs_sim(30000, seed = 20240612)
  tr <- s$truth
  w <- attrition_weights(s$panel, ~ xf * z, monotone = FALSE)

  ch <- panel_change(w, "y", from = "T2", to = "T3")
  expect_near_truth(ch$estimate, ch$std_error, mean(tr$y3 - tr$y2),
                    "T2 -> T3 change")
  ch13 <- panel_change(w, "y", from = "T1", to = "T3")
  expect_near_truth(ch13$estimate, ch13$std_error, mean(tr$y3 - tr$y1),
                    "T1 -> T3 change")
  tn <- employed_given_not(transitions(w, "emp", from = "T2", to = "T3"))
  expect_near_truth(tn$estimate, tn$std_error, mean(tr$e3[!tr$e2]),
                    "P(employed T3 | not employed T2)")

  # groups, and their difference through compare_groups()
  by_z <- panel_change(w, "y", from = "T2", to = "T3", by = "z")
  for (g in 0:1) {
    k <- by_z$z == g
    expect_near_truth(by_z$estimate[k], by_z$std_error[k],
                      mean((tr$y3 - tr$y2)[tr$z == g]),
                      sprintf("T2 -> T3 change, z = %d", g))
  }
  cmp <- compare_groups(by_z, ref = "0")
  diff_truth <- mean((tr$y3 - tr$y2)[tr$z == 1]) -
    mean((tr$y3 - tr$y2)[tr$z == 0])
  expect_near_truth(cmp$estimate, cmp$std_error, diff_truth,
                    "difference of changes, z = 1 - z = 0")

  # calibration of the pair to the baseline sample's totals
  wc <- attrition_weights(s$panel, ~ xf * z, method = "calibrate",
                          monotone = FALSE)
  cc <- panel_change(wc, "y", from = "T2", to = "T3")
  expect_near_truth(cc$estimate, cc$std_error, mean(tr$y3 - tr$y2),
                    "T2 -> T3 change, calibrated")

  # the bootstrap re-fits the pair model and agrees with the sandwich
  bt <- panel_change(w, "y", from = "T2", to = "T3", se = "bootstrap",
                     control = boot_control(100, seed = 5))
  expect_identical(bt$estimate, ch$estimate)
  expect_gt(bt$std_error / ch$std_error, 0.8)
  expect_lt(bt$std_error / ch$std_error, 1.25)
})

test_that("pairs of waves are right with a frame of everyone who started", {
  s <- pairs_sim(30000, seed = 719, frame = TRUE)
  tr <- s$truth
  w <- attrition_weights(s$panel, ~ xf * z, monotone = FALSE)

  ch <- panel_change(w, "y", from = "T2", to = "T3")
  expect_near_truth(ch$estimate, ch$std_error, mean(tr$y3 - tr$y2),
                    "T2 -> T3 change, frame")
  # late entrants: answering T1 is a selection too
  ch13 <- panel_change(w, "y", from = "T1", to = "T3")
  expect_near_truth(ch13$estimate, ch13$std_error, mean(tr$y3 - tr$y1),
                    "T1 -> T3 change, frame")
  tn <- employed_given_not(transitions(w, "emp", from = "T2", to = "T3"))
  expect_near_truth(tn$estimate, tn$std_error, mean(tr$e3[!tr$e2]),
                    "P(employed T3 | not employed T2), frame")
  t13 <- employed_given_not(transitions(w, "emp", from = "T1", to = "T3"))
  expect_near_truth(t13$estimate, t13$std_error, mean(tr$e3[!tr$e1]),
                    "P(employed T3 | not employed T1), frame")
})

test_that("a pair's weights are the later wave's where answering both is answering it", {
  s <- pairs_sim(1500, seed = 3)
  w <- attrition_weights(s$panel, ~ xf * z, monotone = FALSE)
  # without a frame everyone in the baseline sample answered T1
  expect_identical(panelattrition:::pair_weights(w, 1L, 3L), w)
  pw <- panelattrition:::pair_weights(w, 2L, 3L)
  both <- s$truth$r2 & s$truth$r3
  expect_identical(unname(!is.na(pw$weights[, 3])), both)
  # monotone dropout: seen at t means seen at every earlier wave
  long <- s$panel$data
  kept <- long$wave != "T3" | long$id %in% long$id[long$wave == "T2"]
  pm <- panel_data(long[kept, ], id = "id", wave = "wave",
                   baseline = c("x", "z"))
  wm <- attrition_weights(pm, ~ x + z)
  expect_identical(panelattrition:::pair_weights(wm, 2L, 3L), wm)
  # nobody in both waves is a classed error naming them
  w0 <- w
  w0$panel$response[, 2] <- w0$panel$response[, 2] & !w0$panel$response[, 3]
  expect_error(panelattrition:::pair_weights(w0, 2L, 3L),
               class = "panelattrition_weights_error",
               regexp = "both T2 and T3")
})

test_that("a pair's weights are the inverse of a response model for answering both", {
  s <- pairs_sim(1500, seed = 41, base = TRUE)
  tr <- s$truth
  w <- attrition_weights(s$panel, ~ x + z, base = "d", monotone = FALSE)
  both <- tr$r2 & tr$r3
  prob <- glm_prob(both ~ x + z, tr, weights = tr$d)
  delta <- tr$y3 - tr$y2
  pw <- tr$d / prob

  # the estimating equations stacked by hand: the model's score and the
  # Hajek mean's
  x <- cbind(1, tr$x, tr$z)
  ch <- panel_change(w, "y", from = "T2", to = "T3")
  mu <- sum((pw * delta)[both]) / sum(pw[both])
  expect_equal(ch$estimate, mu, tolerance = 1e-10)
  wt <- pw[both]
  sdc <- sqrt(sum(wt * (delta[both] - mu)^2) / sum(wt))
  expect_equal(ch$sd_change, sdc, tolerance = 1e-10)
  fit <- stats::glm.fit(x, as.numeric(both), weights = tr$d,
                        family = stats::quasibinomial())
  psi <- function(th) {
    p <- stats::plogis(drop(x %*% th[1:3]))
    cbind(tr$d * x * (both - p),
          ifelse(both, tr$d / p * (delta - th[4]), 0))
  }
  v <- numeric_sandwich(psi, c(fit$coefficients, mu))
  expect_equal(ch$std_error, sqrt(v[4, 4]), tolerance = 1e-6)
  # the delta adjustment starts from the pair-weighted change and its
  # influence values
  tp <- tipping_point(ch, delta = c(-1, 0, 1))
  at0 <- tp[tp$delta == 0, ]
  expect_equal(at0$estimate, mu, tolerance = 1e-10)
  expect_equal(at0$std_error, ch$std_error, tolerance = 1e-10)

  # the naive variance is survey's for a people-clustered design with the
  # pair's weights, the pair being a domain
  skip_if_not_installed("survey")
  long <- s$panel$data
  long$pw <- 1
  long$delta <- NA_real_
  pair <- long$wave == "T3" & long$id %in% tr$id[both]
  at <- match(long$id[pair], tr$id)
  long$pw[pair] <- pw[at]
  long$delta[pair] <- delta[at]
  long$pair <- pair
  des <- survey::svydesign(ids = ~id, weights = ~pw, data = long)
  ref <- survey::svymean(~delta, subset(des, pair))
  nv <- panel_change(w, "y", from = "T2", to = "T3", se = "naive")
  expect_equal(nv$estimate, unname(stats::coef(ref)), tolerance = 1e-10)
  expect_equal(nv$std_error, as.vector(survey::SE(ref)), tolerance = 1e-8)

  # transitions: the same weights within each origin
  long$from_emp <- NA_character_
  at2 <- long[long$wave == "T2", ]
  long$from_emp[pair] <- as.character(at2$emp[match(long$id[pair], at2$id)])
  long$to_employed <- long$emp == "employed"
  des <- survey::svydesign(ids = ~id, weights = ~pw, data = long)
  ref <- survey::svyby(~to_employed, ~from_emp, subset(des, pair),
                       survey::svymean)
  tn <- transitions(w, "emp", from = "T2", to = "T3", se = "naive")
  got <- tn[tn$to_status == "employed", ]
  ord <- match(as.character(got$from_status), ref$from_emp)
  expect_equal(got$estimate, unname(ref$to_employedTRUE[ord]),
               tolerance = 1e-10)
  expect_equal(got$std_error,
               unname(survey::SE(ref)[["se.to_employedTRUE"]][ord]),
               tolerance = 1e-8)
})
