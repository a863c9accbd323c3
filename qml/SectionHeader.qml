import QtQuick
import QtQuick.Controls

Label {
    font.bold: true
    font.pixelSize: 15
    topPadding: 12
    bottomPadding: 4
    Accessible.role: Accessible.Heading
}
