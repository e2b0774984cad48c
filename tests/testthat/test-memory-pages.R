# The kernels' large arrays (4 MB and more) are marked for huge pages
# (src/hugepages.c): a hint on pages not yet written, which must leave
# every value as it is. Each fit below has arrays above the threshold
# (fitted values, working arrays, the float copy of the model matrix,
# influence values); with the request and without it, the results must
# be the same to the last bit.

with_huge_pages <- function(on, expr) {
  old <- options(panelattrition.huge_pages = on)
  on.exit(options(old))
  force(expr)
}

test_that("the huge-page request changes no response model's fit", {
  set.seed(20261202)
  n <- 6e5
  x <- cbind("(Intercept)" = 1, x1 = stats::rnorm(n), x2 = stats::rbinom(n, 1, 0.4))
  y <- stats::rbinom(n, 1, stats::plogis(0.3 + 0.5 * x[, 2] - 0.4 * x[, 3]))
  on <- with_huge_pages(TRUE, fit_logit(x, y))
  off <- with_huge_pages(FALSE, fit_logit(x, y))
  expect_identical(on, off)
  # and the fit is glm()'s
  ref <- stats::glm.fit(x, y, family = stats::binomial())
  expect_equal(on$coefficients, ref$coefficients, tolerance = 1e-9)
})

test_that("the huge-page request changes no weights, means or GEE", {
  set.seed(20261203)
  n <- 2.5e5
  people <- data.frame(id = seq_len(n), g = sample(c("a", "b"), n, TRUE),
                       x1 = round(stats::rnorm(n), 4))
  y1 <- round(stats::rnorm(n) + 0.3 * people$x1, 4)
  y2 <- round(y1 + 0.2 + stats::rnorm(n, 0, 0.5), 4)
  ans2 <- stats::runif(n) < stats::plogis(0.5 + 0.4 * people$x1 - 0.3 * y1)
  long <- rbind(cbind(people, wave = "T1", y = y1),
                cbind(people, wave = "T2", y = y2)[ans2, ])
  panel <- panel_data(long, id = "id", wave = "wave", baseline = c("g", "x1"))
  run <- function() {
    w <- attrition_weights(panel, ~ g + x1, history = "y")
    list(weights = w$weights, means = wave_means(w, "y", by = "g"),
         change = panel_change(w, "y"),
         gee = coef(summary(ipw_gee(y ~ wave * g, w))))
  }
  on <- with_huge_pages(TRUE, run())
  off <- with_huge_pages(FALSE, run())
  expect_identical(on$weights, off$weights)
  expect_identical(as.data.frame(on$means), as.data.frame(off$means))
  expect_identical(as.data.frame(on$change), as.data.frame(off$change))
  expect_identical(on$gee, off$gee)
})
