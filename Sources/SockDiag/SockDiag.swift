// The sock_diag collector lives here.
import KatopModel
