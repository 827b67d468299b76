// View model, renderer, key table and themes live here.
import KatopModel
