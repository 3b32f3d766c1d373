#include "repositories/migration.h"
