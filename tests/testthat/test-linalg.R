# The blocked C cross-products used by the variance code, against base R.

test_that("xt_a() and x_b() equal crossprod() and %*% for any shape", {
  set.seed(11)
  for (n in c(1L, 3L, 4L, 7L, 1023L, 1024L, 1025L, 2500L)) {
    for (p in c(1L, 2L, 5L, 9L)) {
      x <- matrix(rnorm(n * p), n, p)
      a <- matrix(rnorm(n * 3), n, 3)
      b <- matrix(rnorm(p * 4), p, 4)
      expect_equal(xt_a(x, a), crossprod(x, a), tolerance = 1e-13,
                   ignore_attr = TRUE)
      expect_equal(x_b(x, b), x %*% b, tolerance = 1e-13, ignore_attr = TRUE)
    }
  }
  # a wide x (one pass over a per column of x) gives the same sums as the
  # other orientation, bit for bit
  x <- matrix(rnorm(2500 * 40), 2500, 40)
  a <- matrix(rnorm(2500 * 3), 2500, 3)
  expect_identical(xt_a(x, a), t(xt_a(a, x)))
  # integer and vector arguments are coerced; names follow crossprod()
  xi <- matrix(1:12, 6, 2, dimnames = list(NULL, c("u", "v")))
  expect_identical(xt_a(xi, rep(1, 6)), matrix(c(21, 57), 2, 1,
                                               dimnames = list(c("u", "v"), NULL)))
  # a cross-product of a matrix with itself is exactly symmetric
  x <- matrix(rnorm(3001 * 6), 3001, 6)
  s <- xt_a(x, x)
  expect_identical(s, t(s))
  # missing values propagate
  x[5, 2] <- NA
  expect_true(all(is.na(xt_a(x, x)[2, ])))
})

test_that("surely_full_rank() never vouches for a rank-deficient matrix", {
  set.seed(12)
  x <- cbind(1, matrix(rnorm(400 * 4), 400, 4))
  expect_true(surely_full_rank(x))
  expect_false(surely_full_rank(cbind(x, x[, 2] - 2 * x[, 3])))
  expect_false(surely_full_rank(cbind(x, 0)))
  # nearly dependent: not vouched for, so qr() decides
  expect_false(surely_full_rank(cbind(x, x[, 2] + 1e-5 * rnorm(400))))
})
