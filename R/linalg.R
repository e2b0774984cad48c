# Cross-products for the variance estimators, by the package's blocked C
# kernel (src/crossprod.c).

# X'A by the package's blocked C kernel: for a tall X, R's reference BLAS
# takes one pass over X per element of the result.
xt_a <- function(x, a) {
  a <- double_matrix(a)
  out <- .Call(C_crossprod_xa, double_matrix(x), a)
  dimnames(out) <- list(colnames(x), colnames(a))
  out
}

# X B by the same kernel's row chunks.
x_b <- function(x, b) {
  b <- double_matrix(b)
  out <- .Call(C_x_times_b, double_matrix(x), b)
  dimnames(out) <- list(rownames(x), colnames(b))
  out
}

# Integer and double vectors for the kernels, which read the values only:
# as.integer() and as.double() would copy a vector to drop its names.
int_arg <- function(x) if (is.integer(x) && !is.factor(x)) x else as.integer(x)
dbl_arg <- function(x) if (is.double(x)) x else as.double(x)

# The kernels take double matrices.
double_matrix <- function(m) {
  if (!is.matrix(m)) m <- as.matrix(m)
  if (!is.double(m)) storage.mode(m) <- "double"
  m
}
