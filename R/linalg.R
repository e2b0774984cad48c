# Cross-products for the variance estimators, by the package's blocked C
# kernel (src/crossprod.c).

# X'A by the package's blocked C kernel: for a tall X, R's reference BLAS
# takes one pass over X per element of the result.
xt_a <- function(x, a) {
  if (!is.matrix(a)) a <- as.matrix(a)
  if (!is.double(x)) storage.mode(x) <- "double"
  if (!is.double(a)) storage.mode(a) <- "double"
  out <- .Call(C_crossprod_xa, x, a)
  dimnames(out) <- list(colnames(x), colnames(a))
  out
}

# X B by the same kernel's row chunks.
x_b <- function(x, b) {
  if (!is.matrix(b)) b <- as.matrix(b)
  if (!is.double(x)) storage.mode(x) <- "double"
  if (!is.double(b)) storage.mode(b) <- "double"
  out <- .Call(C_x_times_b, x, b)
  dimnames(out) <- list(rownames(x), colnames(b))
  out
}
